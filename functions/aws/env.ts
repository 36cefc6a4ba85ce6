/**
 * The environment variable names the functions read, listed once (pure data, so the stacks import
 * it without loading any runtime code). {@link ENV} is what the stacks (lib/) set; a function reads
 * `env[ENV.TABLE_NAME]`, never a literal name. {@link LOCAL_ENV} is what a function also reads but
 * no stack sets: key files and tuning for the embedded runtime, local runs and tests.
 * test/stacks/environment.test.ts checks that each deployed function reads every variable its
 * stack sets, and reads no name missing from these lists.
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
  /** Province: the asymmetric KMS keys (ECC_NIST_P256) signing codes, comma-separated generations. */
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
  /** Province: ARN of the secret keying the per-caller holder-check counters (verify only). */
  CALLER_KEY_SECRET_ARN: 'CALLER_KEY_SECRET_ARN',
  /** Province: holder checks per caller per 60 s window (verify only). */
  HOLDER_CHECKS_PER_CALLER: 'HOLDER_CHECKS_PER_CALLER',
  /** Province: its retention policy (JSON, docs/sunset.md); absent: the default. */
  RETENTION_POLICY: 'RETENTION_POLICY',
  /** Province: the format codes are issued in, `HCX2` or `HCX1` (issue only; docs/code-format.md). */
  CODE_FORMAT: 'CODE_FORMAT',
  /** IAM routes: the one role whose sessions the function answers (functions/http/caller-role.ts). */
  CALLER_ROLE_ARN: 'CALLER_ROLE_ARN',
  /** Every function: the service name of its logs and metrics (functions/aws/observability.ts). */
  POWERTOOLS_SERVICE_NAME: 'POWERTOOLS_SERVICE_NAME',
  /** Every function: its log level (functions/aws/observability.ts). */
  POWERTOOLS_LOG_LEVEL: 'POWERTOOLS_LOG_LEVEL',
} as const;

/** One of the names the stacks set. */
export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Names a function reads that no stack sets (the embedded runtime, local runs, tests, benches). */
export const LOCAL_ENV = {
  /** Exchange: the federation private JWK file (instead of `FEDERATION_KMS_KEY_ID`). */
  FEDERATION_KEY_FILE: 'FEDERATION_KEY_FILE',
  /** Province: the issuer private JWK (or JWK set) files, comma-separated (instead of KMS). */
  ISSUER_KEY_FILE: 'ISSUER_KEY_FILE',
  /** Province: the enrollment private JWK file (wins over the secret). */
  ENROLLMENT_KEY_FILE: 'ENROLLMENT_KEY_FILE',
  /** Province: the enrollment private JWK itself, as JSON (wins over the secret). */
  ENROLLMENT_KEY_JWK: 'ENROLLMENT_KEY_JWK',
  /** Province: holder checks running at once (default 2; docs/province.md). */
  HOLDER_CHECK_CONCURRENCY: 'HOLDER_CHECK_CONCURRENCY',
  /** Province: holder checks waiting (default 8). */
  HOLDER_CHECK_QUEUE: 'HOLDER_CHECK_QUEUE',
  /** `true`: logs and metrics default to silent (set by the benches and the soak script; jest implies it). */
  HCX_LOG_SILENT: 'HCX_LOG_SILENT',
} as const;

/** One of the names no stack sets. */
export type LocalEnvName = (typeof LOCAL_ENV)[keyof typeof LOCAL_ENV];
