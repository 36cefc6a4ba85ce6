import * as path from 'node:path';
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, type IFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { handlerEntry, type Service } from '../../functions/routes';
import { BUNDLING, NODE_OPTIONS, PROJECT_ROOT } from './bundling';
import { sideBundlesCommand } from './side-bundles';
import { ENV, type EnvName } from './env';

/** The runtime every function uses (cdk-nag AwsSolutions-L1 asks for the newest Node.js). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

export interface HcxFunctionProps {
  /** The service the function belongs to. */
  readonly service: Service;
  /** Function name from the route table; its code is `handlerEntry({ service, fn })`, which exports `handler`. */
  readonly fn: string;
  readonly logRetention: RetentionDays;
  /** Environment shared by every function of the stack (service name, log level, ids). */
  readonly environment: Readonly<Record<string, string>>;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** Reserve (and cap) concurrency, to protect a hot write path; @default none */
  readonly reservedConcurrency?: number;
  /**
   * Instances kept initialised (provisioned concurrency) on a `live` alias, which is then what the
   * HTTP API invokes ({@link HcxFunction.invokeTarget}); @default none
   */
  readonly provisionedConcurrency?: number;
}

/**
 * Access a function may have to a DynamoDB table: `read` (GetItem, BatchGetItem, Query),
 * `readWrite` (also PutItem, UpdateItem), `readWriteDelete` (also DeleteItem), `erase` (also Scan:
 * only the sunset functions, whose erasure visits every item). Exactly the item calls the handlers
 * make: no batch write, stream or table-management action
 * (test/stacks/deployability.test.ts maps every DynamoDB command of the repositories to a grant).
 */
export type TableAccess = 'read' | 'readWrite' | 'readWriteDelete' | 'erase';

/** The KMS signing algorithm `KmsSigner` uses for a key: ECDSA for P-256 keys, SM2DSA for SM2 keys. */
export type KmsSigningAlgorithm = 'ECDSA_SHA_256' | 'SM2DSA';

/** The condition on a `kms:Sign` grant: the one algorithm and the message type `KmsSigner` uses. */
export function signCondition(algorithm: KmsSigningAlgorithm): Record<string, string> {
  return { 'kms:SigningAlgorithm': algorithm, 'kms:MessageType': 'DIGEST' };
}

/** The condition on every grant for a P-256 key (the federation key, ES256 issuer keys). */
export const SIGN_CONDITION = signCondition('ECDSA_SHA_256');

// BatchGetItem: segment items, at a node and at the exchange (functions/aws/segment-items.ts getStoredSegments).
const READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const READ_WRITE = [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
const READ_WRITE_DELETE = [...READ_WRITE, 'dynamodb:DeleteItem'];

/** The DynamoDB actions of each {@link TableAccess}, each kind those of the one before and more. */
export const TABLE_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  read: READ,
  readWrite: READ_WRITE,
  readWriteDelete: READ_WRITE_DELETE,
  // The sunset's erasure scans the table for the items it erases (visitHolderData, visitOperationalData).
  erase: [...READ_WRITE_DELETE, 'dynamodb:Scan'],
};

/**
 * A handler (`handlerEntry` in functions/routes.ts: `functions/<service>/handlers/<name>.ts`) as a Lambda function with the hcx defaults built in:
 * Node.js 24 on arm64, esbuild-bundled (minified, source maps), its own log group with retention,
 * its own role that may write its logs and nothing else until a `use…` call grants more. Each `use…`
 * call grants the least privilege for one resource and sets the environment variable naming it,
 * so a permission and the variable that uses it cannot drift apart.
 */
export class HcxFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: LogGroup;
  /** What callers invoke: the `live` alias when instances are provisioned, else the function. */
  readonly invokeTarget: IFunction;

  constructor(scope: Construct, id: string, props: HcxFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `hcx ${props.fn}`,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, handlerEntry(props)),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrency,
      description: `hcx ${props.fn}`,
      bundling: {
        ...BUNDLING,
        format: OutputFormat.CJS,
        mainFields: [...BUNDLING.mainFields],
        externalModules: [...BUNDLING.externalModules],
        // The packages loaded on first use, each a side bundle next to index.js, listed from the
        // metafile (lib/constructs/side-bundles.ts).
        metafile: true,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => [sideBundlesCommand(outputDir)],
        },
      },
      environment: { ...props.environment, ...(NODE_OPTIONS ? { NODE_OPTIONS } : {}) },
    });
    this.function.node.addDependency(this.role);
    const provisioned = props.provisionedConcurrency ?? 0;
    this.invokeTarget =
      provisioned > 0
        ? this.function.addAlias('live', { provisionedConcurrentExecutions: provisioned })
        : this.function;
  }

  /** Sets a configuration value (no permission attached). */
  setting(name: EnvName, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  /**
   * Grants exactly the item actions of `access` on the table (and its indexes), the matching use of
   * the table's key, and sets `TABLE_NAME`.
   */
  useTable(table: ITableV2, access: TableAccess): this {
    table.grant(this.function, ...TABLE_ACTIONS[access]);
    if (access === 'read') {
      table.encryptionKey?.grant(this.function, 'kms:Decrypt', 'kms:DescribeKey');
    } else {
      this.useTableKeyForWrites(table);
    }
    return this.setting(ENV.TABLE_NAME, table.tableName);
  }

  /**
   * Grants `actions` on the items of `table` whose partition key starts with `prefix` only (IAM
   * condition `dynamodb:LeadingKeys`), and the table key's write grants; e.g. the verify function
   * counting callers in `CALLER#…` items of a table it otherwise only reads.
   */
  useTableItems(table: ITableV2, prefix: string, actions: readonly string[]): this {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...actions],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } },
      }),
    );
    this.useTableKeyForWrites(table);
    return this;
  }

  /** What DynamoDB's write grant gives on the table's own customer-managed key. */
  private useTableKeyForWrites(table: ITableV2): void {
    const key = table.encryptionKey;
    key?.grant(
      this.function,
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:ReEncrypt*',
      'kms:GenerateDataKey*',
    );
    for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason:
          "Granted by DynamoDB's write grant on the table's own customer-managed key only (the resource is that one key ARN): DynamoDB needs the key to encrypt new items.",
      });
    }
  }

  /**
   * Grants `kms:GetPublicKey`, plus `kms:Sign` when `access` is `sign`, on one asymmetric key and
   * sets `envName` to its ARN (KMS accepts an ARN wherever it takes a key id).
   */
  useSigningKey(key: IKey, envName: EnvName, access: 'sign' | 'publicKey'): this {
    return this.useSigningKeys([key], envName, access);
  }

  /**
   * The same for several generations of a key (during a rotation): grants on each, and `envName`
   * lists their ARNs comma-separated, the active generation first.
   */
  useSigningKeys(
    keys: readonly IKey[],
    envName: EnvName,
    access: 'sign' | 'publicKey',
    algorithm: KmsSigningAlgorithm = 'ECDSA_SHA_256',
  ): this {
    for (const key of keys) {
      key.grant(this.function, 'kms:GetPublicKey');
      if (access === 'sign') {
        // Only the one signature the signer makes (functions/aws/kms-signer.ts): a stolen role
        // session cannot sign raw messages or with another algorithm.
        this.role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['kms:Sign'],
            resources: [key.keyArn],
            conditions: { StringEquals: signCondition(algorithm) },
          }),
        );
      }
    }
    return this.setting(envName, keys.map((k) => k.keyArn).join(','));
  }

  /**
   * Grants `s3:PutObject` on exactly the given object keys (and `s3:DeleteObject` on `removableKeys`)
   * and sets `envName` to the bucket name.
   */
  useObjects(
    bucket: IBucket,
    objectKeys: readonly string[],
    envName: EnvName,
    removableKeys: readonly string[] = [],
  ): this {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: objectKeys.map((k) => bucket.arnForObjects(k)),
      }),
    );
    if (removableKeys.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:DeleteObject'],
          resources: removableKeys.map((k) => bucket.arnForObjects(k)),
        }),
      );
    }
    // cdk-nag names each wildcard resource: a key prefix of the bucket (`v1/status-batches/*`).
    const bucketId = Stack.of(this).resolve((bucket.node.defaultChild as CfnElement).logicalId) as string;
    for (const key of objectKeys.filter((k) => k.endsWith('*'))) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${key}]`,
        reason: `PutObject under the one key prefix ${key.slice(0, -1)} of this bucket: its objects are named by a version or a SHA-256 only known at publication.`,
      });
    }
    return this.setting(envName, bucket.bucketName);
  }

  /** Grants reading the secret's value (and decrypting it) and sets `envName` to its ARN. */
  useSecret(secret: ISecret, envName: EnvName): this {
    secret.grantRead(this.function);
    return this.setting(envName, secret.secretArn);
  }
}
