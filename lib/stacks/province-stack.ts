import {
  Annotations,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { KeySpec } from 'aws-cdk-lib/aws-kms';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CALLER_PK_PREFIX } from '../../functions/core/caller-tag';
import { DEFAULT_CODE_FORMAT } from '../../functions/core/profiles';
import { PROVINCE_TABLE } from '../../functions/core/storage/tables';
import { SEGMENT_CHECK_PK } from '../../functions/province/repository';
import { routesOf } from '../../functions/routes';
import {
  type FederationConfig,
  federationConfigWarnings,
  type ProvinceConfig,
} from '../config/federation-config';
import { ENV } from '../constructs/env';
import { HcxHttpApi } from '../constructs/hcx-http-api';
import type { TableAccess } from '../constructs/hcx-function';
import { HcxTable } from '../constructs/hcx-table';
import { DataKey, type SigningKey, signingKeyGenerations } from '../constructs/keys';
import { Monitoring, watchSigningKeys } from '../constructs/monitoring';
import { type FunctionShape, scheduleFunctions, ServiceFunctions } from '../constructs/service-functions';
import { allowCryptoErasureOnlyTo, allowSecretErasureTo } from '../constructs/sunset-access';

/** What each province function may touch. Anything not listed is denied. */
interface ProvinceAccess {
  readonly table: TableAccess;
  /** Signs codes with the issuer key. */
  readonly signsCodes?: boolean;
  /** Reads the issuer keys' public keys only. */
  readonly issuerPublicKeys?: boolean;
  /** Signs requests to the exchange with the enrollment key. */
  readonly enrollmentKey?: boolean;
  /** Disables the issuer keys and schedules their deletion at the province's sunset (the only one). */
  readonly destroysIssuerKeys?: boolean;
  /** Deletes the enrollment secret at the province's sunset (the only one). */
  readonly destroysEnrollmentSecret?: boolean;
  /**
   * Counts holder checks per caller: updates `CALLER#…` items only, reads the caller key secret
   * (functions/province/caller-limit.ts).
   */
  readonly countsCallers?: boolean;
  /**
   * Loads the registry snapshot: may write the one `SEGMENT_CHECK` item (asking the sync to check
   * the listed segment items when one is not held; functions/province/registry-cache.ts).
   */
  readonly asksSegmentChecks?: boolean;
  readonly shape?: FunctionShape;
}

export const PROVINCE_ACCESS: Readonly<Record<string, ProvinceAccess>> = {
  // One scrypt holder binding per code (N = 2^15, r = 8: 32 MiB, ~540 ms of one core measured on the
  // development machine): 1769 MB is one full vCPU, where 512 MB would be about 0.3 of one (~1.8 s).
  'province-issue': { table: 'readWrite', signsCodes: true, shape: { memorySize: 1769 } },
  // Reads the table; writes only the per-caller holder-check counters (`CALLER#…` items).
  'province-verify': { table: 'read', countsCallers: true, asksSegmentChecks: true },
  // Revoking deletes the pending revocation once the exchange has it.
  'province-revoke-code': { table: 'readWriteDelete', enrollmentKey: true },
  'province-get-code': { table: 'read' },
  'province-erase-code': { table: 'readWriteDelete' },
  'province-registry': { table: 'read' },
  // Sunset (docs/sunset.md): signs the province.sunset request, erases the records, destroys the keys.
  'province-sunset': {
    table: 'erase',
    enrollmentKey: true,
    destroysIssuerKeys: true,
    destroysEnrollmentSecret: true,
    shape: { timeout: Duration.seconds(300) },
  },
  // Rotation step 3: reads the kids of the held issuer keys (GetPublicKey, no Sign) and stores the active one.
  'province-set-active-key': { table: 'readWrite', issuerPublicKeys: true },
  // One sync at a time: a run that overlaps the next would only race it.
  // Also publishes the code revocations left pending while the exchange was down: signs with the enrollment key.
  'province-sync': {
    table: 'readWriteDelete',
    enrollmentKey: true,
    shape: { timeout: Duration.seconds(60), reservedConcurrency: 1 },
  },
};

export interface ProvinceStackProps extends StackProps {
  readonly config: FederationConfig;
  readonly province: ProvinceConfig;
}

/**
 * One province node: its table, its issuer key, its enrollment key secret, the HTTP API, the sync
 * schedule and alarms (including replica staleness).
 */
export class ProvinceStack extends Stack {
  readonly functions: ServiceFunctions;
  readonly issuerKey: SigningKey;
  readonly table: TableV2;
  readonly api: HcxHttpApi;
  /** The node secret keying the per-caller holder-check counters (read by verify only). */
  readonly callerKey: Secret;
  /** The only role allowed on the internal routes: the province's health system. */
  readonly healthSystemRole: Role;

  constructor(scope: Construct, id: string, props: ProvinceStackProps) {
    super(scope, id, props);
    const { config, province } = props;
    const settings = config.settings;
    const serviceName = `hcx-province-${province.region}`;
    const dataKey = new DataKey(this, 'DataKey', { description: `hcx ${province.region} data at rest` });
    const issuerKeys = signingKeyGenerations(
      this,
      'IssuerKey',
      `hcx ${province.region} code signing key`,
      province.signingKey,
      // SM2 (China regions only: validateFederationConfig refuses it elsewhere); the signer reads
      // the algorithm from the key spec KMS reports (functions/aws/kms-signer.ts).
      province.algorithm === 'SM2' ? KeySpec.SM2 : KeySpec.ECC_NIST_P256,
    );
    const issuerKey = (this.issuerKey = issuerKeys.active);
    const table = (this.table = new HcxTable(this, 'Table', {
      definition: PROVINCE_TABLE,
      encryptionKey: dataKey.key,
    }).table);
    const monitoring = new Monitoring(this, 'Monitoring', { encryptionKey: dataKey.key });
    // The operator stores the enrollment private JWK here (`hcx enroll`); the stack only creates the slot.
    const enrollmentSecret = new Secret(this, 'EnrollmentKey', {
      description: `hcx ${province.region} enrollment private key (JWK)`,
      encryptionKey: dataKey.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(enrollmentSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The enrollment key is registered with the exchange: rotating it is an operator procedure (register the new public key at the exchange, then replace the secret value), which a Secrets Manager rotation Lambda cannot perform.',
    });

    // The node secret keying the per-caller counters (HMAC of the caller's address: never stored in
    // clear). Random, made by the stack; replacing it only restarts the current window's counts.
    const callerKey = (this.callerKey = new Secret(this, 'CallerKey', {
      description: `hcx ${province.region} key of the per-caller holder-check counters`,
      encryptionKey: dataKey.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    }));
    Validations.of(callerKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key only names counters that expire a minute after their window: a new value (redeploy after deleting the secret, or put-secret-value) merely restarts the counts, so no rotation Lambda is needed.',
    });

    if (!config.federationJwks) {
      Annotations.of(this).addWarningV2(
        'hcx:federation-jwks-missing',
        'federationJwks is not set: this node will refuse every trust list until it is (docs/deploy.md).',
      );
    }
    for (const warning of federationConfigWarnings(config)) {
      if (warning.field === `provinces[${config.provinces.indexOf(province)}].aws.region`) {
        Annotations.of(this).addWarningV2('hcx:data-leaves-mainland', warning.message);
      }
    }
    if (!config.exchange.url) {
      Annotations.of(this).addWarningV2(
        'hcx:exchange-url-missing',
        'exchange.url is not set: this node cannot sync until it is (docs/deploy.md).',
      );
    }

    const shapes: Record<string, FunctionShape> = {};
    for (const [fn, access] of Object.entries(PROVINCE_ACCESS)) {
      const shape = access.shape ?? {};
      shapes[fn] = settings.reservedConcurrency ? shape : { ...shape, reservedConcurrency: undefined };
    }
    // The one route where a traveller waits on a cold start: optionally kept warm.
    if (province.verifyProvisionedConcurrency) {
      shapes['province-verify'] = {
        ...shapes['province-verify'],
        provisionedConcurrency: province.verifyProvisionedConcurrency,
      };
    }
    const functions = (this.functions = new ServiceFunctions(this, 'Functions', {
      service: 'province',
      environment: {
        [ENV.POWERTOOLS_SERVICE_NAME]: serviceName,
        [ENV.POWERTOOLS_LOG_LEVEL]: settings.logLevel,
        [ENV.FEDERATION_ID]: config.federationId,
        [ENV.REGION_CODE]: province.region,
        [ENV.EXCHANGE_URL]: config.exchange.url ?? '',
        ...(config.exchange.staticUrl ? { [ENV.EXCHANGE_STATIC_URL]: config.exchange.staticUrl } : {}),
        [ENV.FEDERATION_JWKS]: JSON.stringify(config.federationJwks ?? { keys: [] }),
        ...(province.retention ? { [ENV.RETENTION_POLICY]: JSON.stringify(province.retention) } : {}),
      },
      logRetention: settings.logRetentionDays as RetentionDays,
      monitoring,
      shapes,
    }));
    const issuerGenerations = [issuerKey.key, ...(issuerKeys.next ? [issuerKeys.next.key] : [])];
    for (const [fn, access] of Object.entries(PROVINCE_ACCESS)) {
      const f = functions.get(fn).useTable(table, access.table);
      // During a rotation the issuer holds both generations and signs with the active kid the
      // rotation stored in the table (functions/province/issuer-keys.ts), the active one first.
      if (access.signsCodes) {
        // The format its codes are issued in (docs/code-format.md): HCX2 unless configured HCX1.
        f.setting(ENV.CODE_FORMAT, province.codeFormat ?? DEFAULT_CODE_FORMAT);
        f.useSigningKeys(
          issuerGenerations,
          ENV.ISSUER_KMS_KEY_ID,
          'sign',
          province.algorithm === 'SM2' ? 'SM2DSA' : 'ECDSA_SHA_256',
        );
      }
      if (access.issuerPublicKeys) f.useSigningKeys(issuerGenerations, ENV.ISSUER_KMS_KEY_ID, 'publicKey');
      if (access.enrollmentKey) f.useSecret(enrollmentSecret, ENV.ENROLLMENT_KEY_SECRET_ARN);
      // The sunset reads the issuer keys' public parts (their kids go into the deletion report).
      if (access.destroysIssuerKeys) {
        f.useSigningKeys(issuerGenerations, ENV.ISSUER_KMS_KEY_ID, 'publicKey');
        allowCryptoErasureOnlyTo(f.role, issuerGenerations);
      }
      // DeleteSecret (ForceDeleteWithoutRecovery): functions/aws/secret-shredder.ts.
      if (access.destroysEnrollmentSecret) allowSecretErasureTo(f.role, enrollmentSecret);
      if (access.asksSegmentChecks) f.useTableItems(table, SEGMENT_CHECK_PK, ['dynamodb:PutItem']);
      if (access.countsCallers) {
        f.useSecret(callerKey, ENV.CALLER_KEY_SECRET_ARN)
          .useTableItems(table, CALLER_PK_PREFIX, ['dynamodb:UpdateItem'])
          .setting(ENV.HOLDER_CHECKS_PER_CALLER, String(settings.holderChecksPerCaller));
      }
    }
    const codeSigners = Object.entries(PROVINCE_ACCESS)
      .filter(([, a]) => a.signsCodes)
      .map(([fn]) => functions.get(fn).role);
    issuerKey.restrictSigningTo(...codeSigners);
    issuerKeys.next?.restrictSigningTo(...codeSigners);
    watchSigningKeys(
      monitoring,
      dataKey.key,
      issuerGenerations,
      codeSigners.map((r) => r.roleArn),
    );

    scheduleFunctions(this, 'province', functions);
    monitoring.watchReplicaAge(serviceName, settings.syncStaleAfterSeconds);

    const api = (this.api = new HcxHttpApi(this, 'Http', {
      apiName: `hcx-province-${province.region}`,
      description: `hcx province ${province.region} (${province.name})`,
      routes: routesOf('province'),
      functions: functions.byName,
      allowedOrigins: province.allowedOrigins,
      rateLimit: settings.publicRateLimit,
      burstLimit: settings.publicBurstLimit,
      // The holder check's scrypt: a lower, separate bucket for the verify route (route-wide; HTTP
      // APIs have no per-caller usage plans).
      pathLimits: {
        'POST /v1/codes/verify': {
          rateLimit: settings.verifyRateLimit,
          burstLimit: settings.verifyBurstLimit,
        },
      },
      logRetention: settings.logRetentionDays as RetentionDays,
    }));
    this.healthSystemRole = api.callerRole(
      'HealthSystemRole',
      'internal',
      province.healthSystemPrincipals ?? [this.account],
      `hcx ${province.region} health system: issue, read, revoke, erase codes; registry; active issuer key`,
    );

    new CfnOutput(this, 'ApiUrl', { value: api.url });
    new CfnOutput(this, 'IssuerKeyArn', { value: issuerKey.key.keyArn });
    if (issuerKeys.next) new CfnOutput(this, 'NextIssuerKeyArn', { value: issuerKeys.next.key.keyArn });
    new CfnOutput(this, 'EnrollmentSecretArn', { value: enrollmentSecret.secretArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.topic.topicArn });
  }
}
