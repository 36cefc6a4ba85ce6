import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { EXCHANGE_TABLE } from '../../functions/core/storage/tables';
import { routesOf } from '../../functions/routes';
import type { FederationConfig } from '../config/federation-config';
import { DELTA_KEY_PREFIX, ENV, STATIC_OBJECT_KEYS, TRUST_LIST_OBJECT_KEY } from '../constructs/env';
import { HcxHttpApi } from '../constructs/hcx-http-api';
import type { TableAccess } from '../constructs/hcx-function';
import { HcxTable } from '../constructs/hcx-table';
import { DataKey, type SigningKey, signingKeyGenerations } from '../constructs/keys';
import { Monitoring, watchSigningKeys } from '../constructs/monitoring';
import { type FunctionShape, scheduleFunctions, ServiceFunctions } from '../constructs/service-functions';
import { allowCryptoErasureOnlyTo } from '../constructs/sunset-access';
import { PagesSite } from '../constructs/pages-site';
import { TrustListSite } from '../constructs/trust-list-site';

/** What each exchange function may touch. Anything not listed is denied. */
interface ExchangeAccess {
  readonly table: TableAccess;
  /** `sign`: signs trust lists and deltas; `publicKey`: serves the federation JWKS. */
  readonly federationKey?: 'sign' | 'publicKey';
  /** Writes the freshly signed trust list to S3 after a change. */
  readonly publishesTrustList?: boolean;
  /** Disables the federation key and schedules its deletion at the federation's sunset (the only one). */
  readonly destroysFederationKey?: boolean;
  readonly shape?: FunctionShape;
}

const MUTATION: ExchangeAccess = { table: 'readWrite', federationKey: 'sign', publishesTrustList: true };

export const EXCHANGE_ACCESS: Readonly<Record<string, ExchangeAccess>> = {
  'exchange-federation': { table: 'read', federationKey: 'publicKey' },
  'exchange-federation-jwks': { table: 'read', federationKey: 'publicKey' },
  'exchange-register-province': MUTATION,
  'exchange-list-provinces': { table: 'read' },
  'exchange-publish-key': MUTATION,
  'exchange-revoke-key': MUTATION,
  'exchange-revoke-codes': MUTATION,
  'exchange-publish-status': MUTATION,
  // Serves stored status batches by hash: reads only, signs nothing.
  'exchange-status-batch': { table: 'read' },
  'exchange-suspend-province': MUTATION,
  'exchange-reenroll-province': MUTATION,
  'exchange-resume-province': MUTATION,
  'exchange-province-jwks': { table: 'read' },
  // `?since=` serves stored deltas (never signs); a full list from the API is signed at most once per
  // version and 15-minute window per instance (nodes and pages read it from CloudFront).
  'exchange-trust-list': { table: 'read', federationKey: 'sign' },
  'exchange-log': { table: 'read' },
  // Sunset (docs/sunset.md): a province's signed sunset is one more log append.
  'exchange-sunset-province': MUTATION,
  // A province's signed retention change (province.retention) is one more log append.
  'exchange-province-retention': MUTATION,
  // The federation's end: erases the table but the log, then destroys the federation key.
  'exchange-sunset-federation': {
    ...MUTATION,
    table: 'erase',
    destroysFederationKey: true,
    shape: { timeout: Duration.seconds(300) },
  },
  // Scheduled: re-issues the head's stored delta for the new window (a table write) and re-signs the
  // full list and puts it, so neither outlives its expiry. A cold instance folds the log: give it time.
  'exchange-publish-trust-list': {
    table: 'readWrite',
    federationKey: 'sign',
    publishesTrustList: true,
    shape: { timeout: Duration.seconds(60) },
  },
};

export interface ExchangeStackProps extends StackProps {
  readonly config: FederationConfig;
  /** `npm run build:pages` output: adds the checkpoint and traveller pages' site (docs/pages.md). */
  readonly pagesDir?: string;
  /** A bucket in another region for CloudFront's standard logs (the exchange is in an opt-in region). */
  readonly cloudFrontLogBucket?: { readonly bucketName: string; readonly region: string };
}

/** Functions behind the signed province routes (publish key, revoke key, revoke codes). */
const SIGNED_ROUTE_FUNCTIONS = new Set(
  routesOf('exchange')
    .filter((r) => r.auth === 'signed')
    .map((r) => r.fn),
);

/**
 * The national exchange: its table, the federation signing key, the HTTP API, the trust list on
 * S3 + CloudFront (written after every change and re-signed on a schedule), and alarms.
 */
export class ExchangeStack extends Stack {
  readonly functions: ServiceFunctions;
  readonly federationKey: SigningKey;
  readonly table: TableV2;
  readonly trustList: TrustListSite;
  readonly api: HcxHttpApi;
  /** The only role allowed on the operator routes (register, suspend, re-enroll, resume). */
  readonly operatorRole: Role;

  constructor(scope: Construct, id: string, props: ExchangeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const settings = config.settings;
    const serviceName = 'hcx-exchange';
    const dataKey = new DataKey(this, 'DataKey', { description: 'hcx exchange data at rest' });
    const federationKeys = signingKeyGenerations(
      this,
      'FederationKey',
      'hcx federation trust-list signing key',
      config.exchange.signingKey,
    );
    const federationKey = (this.federationKey = federationKeys.active);
    const table = (this.table = new HcxTable(this, 'Table', {
      definition: EXCHANGE_TABLE,
      encryptionKey: dataKey.key,
    }).table);
    const trustList = (this.trustList = new TrustListSite(this, 'TrustList', {
      allowedOrigins: config.exchange.allowedOrigins,
      domain: config.exchange.trustListDomain,
      cloudFrontLogBucket:
        props.cloudFrontLogBucket &&
        Bucket.fromBucketAttributes(this, 'CloudFrontLogs', props.cloudFrontLogBucket),
    }));
    if (props.pagesDir) {
      const pages = new PagesSite(this, 'Pages', {
        pagesDir: props.pagesDir,
        trustListBucket: trustList.bucket,
        trustListKey: TRUST_LIST_OBJECT_KEY,
      });
      new CfnOutput(this, 'PagesUrl', { value: `${pages.url}/check/`, description: 'checkpoint page' });
    }
    const monitoring = new Monitoring(this, 'Monitoring', { encryptionKey: dataKey.key });

    const shapes: Record<string, FunctionShape> = {};
    for (const [fn, access] of Object.entries(EXCHANGE_ACCESS)) {
      // Log appends are conditional writes on the next sequence number: more writers only mean more
      // retries. A signed route refuses junk (bad signature, unknown key) before any append, so its
      // functions get room for a flood of it without starving a province's genuine revocation.
      const reserved = SIGNED_ROUTE_FUNCTIONS.has(fn)
        ? settings.signedConcurrency
        : access.table === 'readWrite'
          ? 2
          : undefined;
      shapes[fn] = {
        ...access.shape,
        reservedConcurrency: settings.reservedConcurrency ? reserved : undefined,
      };
    }
    const functions = (this.functions = new ServiceFunctions(this, 'Functions', {
      service: 'exchange',
      environment: {
        [ENV.POWERTOOLS_SERVICE_NAME]: serviceName,
        [ENV.POWERTOOLS_LOG_LEVEL]: settings.logLevel,
        [ENV.FEDERATION_ID]: config.federationId,
      },
      logRetention: settings.logRetentionDays as RetentionDays,
      monitoring,
      shapes,
    }));
    const signers = [];
    for (const [fn, access] of Object.entries(EXCHANGE_ACCESS)) {
      const f = functions.get(fn).useTable(table, access.table);
      if (access.federationKey)
        f.useSigningKey(federationKey.key, ENV.FEDERATION_KMS_KEY_ID, access.federationKey);
      if (access.federationKey === 'sign') signers.push(f.role);
      if (access.publishesTrustList)
        // The deltas may also be removed: at the federation's sunset none may stay servable.
        f.useObjects(trustList.bucket, STATIC_OBJECT_KEYS, ENV.TRUST_LIST_BUCKET, [`${DELTA_KEY_PREFIX}*`]);
    }
    federationKey.restrictSigningTo(...signers);
    // Crypto-erasure: only the federation sunset may disable the key and schedule its deletion.
    for (const [fn, access] of Object.entries(EXCHANGE_ACCESS)) {
      if (access.destroysFederationKey) allowCryptoErasureOnlyTo(functions.get(fn).role, [federationKey.key]);
    }
    // The exchange signs with one generation: nobody may sign with the next one until it is active.
    federationKeys.next?.restrictSigningTo();
    watchSigningKeys(
      monitoring,
      dataKey.key,
      [federationKey.key, ...(federationKeys.next ? [federationKeys.next.key] : [])],
      signers.map((r) => r.roleArn),
    );
    scheduleFunctions(this, 'exchange', functions);
    monitoring.watchTrustListPublication(serviceName);

    const api = (this.api = new HcxHttpApi(this, 'Http', {
      apiName: `hcx-exchange-${config.federationId}`,
      description: `hcx exchange (${config.federationId})`,
      routes: routesOf('exchange'),
      functions: functions.byName,
      allowedOrigins: config.exchange.allowedOrigins,
      rateLimit: settings.publicRateLimit,
      burstLimit: settings.publicBurstLimit,
      routeLimits: { signed: { rateLimit: settings.signedRateLimit, burstLimit: settings.signedBurstLimit } },
      logRetention: settings.logRetentionDays as RetentionDays,
    }));
    this.operatorRole = api.callerRole(
      'OperatorRole',
      'operator',
      config.exchange.operatorPrincipals ?? [this.account],
      `hcx exchange operator of ${config.federationId}: register, suspend, re-enroll and resume provinces`,
    );

    new CfnOutput(this, 'ApiUrl', { value: api.url, description: 'exchange.url for the federation config' });
    new CfnOutput(this, 'TrustListUrl', { value: `${trustList.url}/${TRUST_LIST_OBJECT_KEY}` });
    new CfnOutput(this, 'StaticUrl', {
      value: trustList.url,
      description: 'exchange.staticUrl for the federation config (the list, deltas and status batches)',
    });
    new CfnOutput(this, 'FederationKeyArn', { value: federationKey.key.keyArn });
    if (federationKeys.next)
      new CfnOutput(this, 'NextFederationKeyArn', { value: federationKeys.next.key.keyArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.topic.topicArn });
  }
}
