/**
 * The environment variable names the handlers read, in one place on the CDK side. The handlers'
 * `fromEnv()` reads these same literal names; the embedded runtime passes the values explicitly.
 */
export const ENV = {
  /** The stack's DynamoDB table. */
  TABLE_NAME: 'TABLE_NAME',
  /** The federation identifier (audience of signed requests, `federation` of trust lists). */
  FEDERATION_ID: 'FEDERATION_ID',
  /** Exchange: the asymmetric KMS key (ECC_NIST_P256) signing trust lists. */
  FEDERATION_KMS_KEY_ID: 'FEDERATION_KMS_KEY_ID',
  /** Exchange: the bucket CloudFront serves the signed trust list from. */
  TRUST_LIST_BUCKET: 'TRUST_LIST_BUCKET',
  /** Province: the asymmetric KMS key (ECC_NIST_P256) signing codes. */
  ISSUER_KMS_KEY_ID: 'ISSUER_KMS_KEY_ID',
  /** Province: its GB/T 2260 region code. */
  REGION_CODE: 'REGION_CODE',
  /** Province: base URL of the exchange API. */
  EXCHANGE_URL: 'EXCHANGE_URL',
  /** Province: base URL of the exchange's static site (trust-list CloudFront), asked first for artefacts. */
  EXCHANGE_STATIC_URL: 'EXCHANGE_STATIC_URL',
  /** Province: the federation public JWKS (JSON), given out of band. */
  FEDERATION_JWKS: 'FEDERATION_JWKS',
  /** Province: ARN of the Secrets Manager secret holding the enrollment private JWK. */
  ENROLLMENT_KEY_SECRET_ARN: 'ENROLLMENT_KEY_SECRET_ARN',
  /** Province: its retention policy (JSON, docs/sunset.md); absent: the default. */
  RETENTION_POLICY: 'RETENTION_POLICY',
  /** IAM routes: the one role whose sessions the function answers (functions/http/caller-role.ts). */
  CALLER_ROLE_ARN: 'CALLER_ROLE_ARN',
  POWERTOOLS_SERVICE_NAME: 'POWERTOOLS_SERVICE_NAME',
  POWERTOOLS_LOG_LEVEL: 'POWERTOOLS_LOG_LEVEL',
} as const;

/** One of the names above. */
export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Metric names and the trust list's S3 key, defined once beside the functions that use them. */
export {
  DELTA_KEY_PREFIX,
  STATIC_OBJECT_KEYS,
  STATUS_BATCH_KEY_PREFIX,
  METRIC_NAMESPACE,
  REPLICA_AGE_METRIC,
  TRUST_LIST_OBJECT_KEY,
  TRUST_LIST_PUBLISH_FAILED_METRIC,
} from '../../functions/aws/names';
