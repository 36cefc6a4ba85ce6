/**
 * Everything a province node's handlers need, built once per process: explicitly
 * ({@link createProvinceDeps}: tests, the embedded runtime with several provinces in one process)
 * or from the Lambda environment ({@link provinceDepsFromEnv}). Nothing here does I/O when it is
 * built: signers are created on first use (a KMS `GetPublicKey`, a key file read). This module
 * loads no AWS SDK but DynamoDB's: KMS and Secrets Manager come from the handlers that use them
 * ({@link ProvinceServices}).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../aws/dynamodb';
import { ENV, LOCAL_ENV } from '../aws/env';
import { notBuiltFor, requiredEnv } from '../core/config-env';
import { InternalError } from '../core/errors';
import { readPrivateJwks, signerFromKeyFile } from '../core/files';
import { parseStrictJson } from '../core/json';
import { boundedHolderCheck, type HolderCheck, type HolderGateOptions } from '../core/holder-gate';
import { CallerLimit, type CallerLimitOptions, type CallerSecret, processCallerSecret } from './caller-limit';
import { CODE_FORMATS, DEFAULT_CODE_FORMAT, isCodeFormat, LIMITS, type CodeFormat } from '../core/profiles';
import type { Jwks, RetentionPolicy } from '../core/schemas/types.gen';
import { assertValid, isRetentionPolicy } from '../core/schemas/validators';
import { combinedShredder, type KeyShredder } from '../core/sunset/key-shredder';
import { LocalKeySigner, type Signer } from '../core/signer';
import { federationKeys as toFederationKeys } from '../core/trustlist/trust-list';
import { DynamoProvinceRepository } from './dynamo-repository';
import { createExchangeClient, type ExchangeClient, type FetchLike } from './exchange-client';
import { activeSignerResolver, memoAsync, type IssuerKeys } from './issuer-keys';
import { RegistryCache } from './registry-cache';
import type { ProvinceRepository } from './repository';
import { StatusIndexAllocator } from './status';
import type { FederationKeys } from './sync';
import type { KmsKeyRef } from '../aws/kms-shredder';

/** The dependencies of every province handler. */
export interface ProvinceDeps {
  /** This node's GB/T 2260 region code. */
  readonly region: string;
  /** Audience of signed requests. */
  readonly federationId: string;
  readonly repository: ProvinceRepository;
  /** The issuer's active signing key. */
  readonly issuer: IssuerKeys;
  /** The enrollment key that signs requests to the exchange (created on first use). */
  readonly enrollmentSigner: () => Promise<Signer>;
  readonly exchange: ExchangeClient;
  /** Federation keys from configuration, never from a list. */
  readonly federationKeys: FederationKeys;
  /** The verifier's in-memory registry (one per process and province). */
  readonly registry: RegistryCache;
  /** Status indices for the codes this node issues (blocks reserved from the table's counter). */
  readonly statusIndices: StatusIndexAllocator;
  /** NumericDate seconds. */
  readonly now: () => number;
  /** This province's retention policy (federation configuration; {@link DEFAULT_RETENTION} when none). */
  readonly retention: RetentionPolicy;
  /** The format this province issues codes in (federation configuration `codeFormat`; HCX2 when none). */
  readonly codeFormat: CodeFormat;
  /** Destroys the node's private keys at its sunset (none: the sunset destroys no key, and says so). */
  readonly keyShredder?: KeyShredder;
  /** The holder check of `POST /v1/codes/verify`, bounded per process (holder-gate.ts). */
  readonly holderCheck: HolderCheck;
  /**
   * The per-caller holder-check limit, shared by every instance of the node (caller-limit.ts);
   * built whenever the deps have the table (absent only when a test passes a repository alone).
   */
  readonly callerLimit?: CallerLimit;
}

/**
 * The retention policy of a province whose configuration sets none: codes up to the federation's
 * longest lifetime, records erased when the code expires, holders may have their record erased.
 */
export const DEFAULT_RETENTION: RetentionPolicy = {
  maxCodeLifetimeSeconds: LIMITS.maxCodeLifetime,
  keepAfterExpirySeconds: 0,
  holderErasure: true,
};

/** A signer, or a function creating it on first use. */
export type SignerSource = Signer | (() => Promise<Signer>);

/** What {@link createProvinceDeps} takes. */
export interface ProvinceDepsInput {
  readonly region: string;
  readonly federationId: string;
  /** The store: a repository, or a DynamoDB client and the province table's name. */
  readonly repository?: ProvinceRepository;
  readonly client?: DynamoDBClient;
  readonly tableName?: string;
  /** The issuer's signers (the first is used until a rotation switches), or a ready resolver. */
  readonly issuerSigners?: readonly SignerSource[];
  readonly issuer?: IssuerKeys;
  readonly enrollmentSigner?: SignerSource;
  /** The exchange: a client, or its base URL (and optionally the `fetch` to use). */
  readonly exchange?: ExchangeClient;
  readonly exchangeUrl?: string;
  /** The exchange's static site (signed list, deltas, batches), asked before the API when given. */
  readonly exchangeStaticUrl?: string;
  readonly fetch?: FetchLike;
  /** The federation public keys (JWKS), given out of band. */
  readonly federationJwks: Jwks;
  readonly now?: () => number;
  /** How often the verifier checks for a new replica (default 5 000 ms). */
  readonly registryCheckMs?: number;
  /** How long the issuer caches its active kid (default 5 000 ms). */
  readonly activeKeyCacheMs?: number;
  readonly retention?: RetentionPolicy;
  /** The format codes are issued in (default {@link DEFAULT_CODE_FORMAT}, HCX2). */
  readonly codeFormat?: CodeFormat;
  readonly keyShredder?: KeyShredder;
  /** The holder-check bound (default: 2 at once, 8 waiting; env HOLDER_CHECK_CONCURRENCY / _QUEUE). */
  readonly holderChecks?: HolderGateOptions;
  /**
   * The node secret of the per-caller limit's keyed hash (default: a random one held by this
   * process only, right for the embedded runtime; AWS: the stack's secret, `CALLER_KEY_SECRET_ARN`).
   */
  readonly callerSecret?: CallerSecret;
  /** The per-caller limit (default 30 holder checks per caller per 60 s). */
  readonly callerLimits?: CallerLimitOptions;
}

const resolve = (source: SignerSource): Promise<Signer> =>
  typeof source === 'function' ? source() : Promise.resolve(source);

/** Build a node's dependencies from explicit values (no I/O). */
export function createProvinceDeps(input: ProvinceDepsInput): ProvinceDeps {
  const repository =
    input.repository ??
    (input.client && input.tableName
      ? new DynamoProvinceRepository(input.client, input.tableName)
      : undefined);
  if (!repository) throw new TypeError('createProvinceDeps: repository or client and tableName required');
  const exchange =
    input.exchange ??
    (input.exchangeUrl !== undefined
      ? createExchangeClient({
          baseUrl: input.exchangeUrl,
          ...(input.exchangeStaticUrl ? { staticBaseUrl: input.exchangeStaticUrl } : {}),
          ...(input.fetch ? { fetch: input.fetch } : {}),
        })
      : undefined);
  if (!exchange) throw new TypeError('createProvinceDeps: exchange or exchangeUrl required');
  const sources = input.issuerSigners ?? [];
  const allSigners = memoAsync(() => Promise.all(sources.map(resolve)));
  const issuer =
    input.issuer ??
    activeSignerResolver({
      signers: () => allSigners(),
      repository,
      ...(input.activeKeyCacheMs !== undefined ? { cacheMs: input.activeKeyCacheMs } : {}),
    });
  const enrollment = input.enrollmentSigner;
  const enrollmentSigner = memoAsync(async () => {
    if (!enrollment) throw new InternalError(new Error('no enrollment key configured'));
    return resolve(enrollment);
  });
  return {
    region: input.region,
    federationId: input.federationId,
    repository,
    issuer,
    enrollmentSigner,
    exchange,
    federationKeys: configuredFederationKeys(input.federationJwks, input.federationId),
    registry: new RegistryCache(repository, { checkEveryMs: input.registryCheckMs ?? 5_000 }),
    statusIndices: new StatusIndexAllocator(repository),
    now: input.now ?? (() => Math.floor(Date.now() / 1000)),
    retention: input.retention ?? DEFAULT_RETENTION,
    codeFormat: input.codeFormat ?? DEFAULT_CODE_FORMAT,
    ...(input.keyShredder ? { keyShredder: input.keyShredder } : {}),
    holderCheck: boundedHolderCheck(input.holderChecks),
    ...(input.client && input.tableName
      ? {
          callerLimit: new CallerLimit(
            input.client,
            input.tableName,
            input.callerSecret ?? processCallerSecret(),
            { ...(input.now ? { now: input.now } : {}), ...input.callerLimits },
          ),
        }
      : {}),
  };
}

/**
 * The federation keys from configuration. An unusable JWKS (e.g. not configured yet) must not stop
 * the issuer: sync and rotation then fail with `FEDERATION_KEYS_INVALID`, recorded in the status.
 */
function configuredFederationKeys(jwks: Jwks, federation: string): FederationKeys {
  try {
    return toFederationKeys(jwks, federation);
  } catch (e) {
    return { federation, resolve: () => Promise.reject(e) };
  }
}

/**
 * The AWS services beyond DynamoDB that a handler uses, passed by the handlers that use them (the
 * stack grants the same per function: `PROVINCE_ACCESS` in lib/stacks/province-stack.ts). A handler
 * imports the factories it needs, so no function loads the SDK of a service it never calls.
 */
export interface ProvinceServices {
  /** Signs with a KMS key (the issuer key): `kmsSignerFor` (functions/aws/kms-signer.ts). */
  readonly kmsSigner?: (keyId: string) => Promise<Signer>;
  /** The enrollment signer from a Secrets Manager secret: `secretSignerFor` (./enrollment-secret.ts). */
  readonly secretSigner?: (secretId: string) => Promise<Signer>;
  /** Destroys the issuer's KMS keys at sunset: `kmsShredder` (functions/aws/kms-shredder.ts). */
  readonly kmsShredder?: (keys: readonly KmsKeyRef[]) => KeyShredder;
  /**
   * Deletes the enrollment secret at sunset: `secretShredder` (functions/aws/secret-shredder.ts);
   * `kid` is read by the plan only.
   */
  readonly secretShredder?: (secretId: string, kid: () => Promise<string>) => KeyShredder;
  /** A secret's string value (the per-caller limit's node secret): `secretStringFor` (functions/aws/enrollment-secret.ts). */
  readonly secretString?: (secretId: string) => Promise<string>;
}

/** The enrollment signer source the environment names, if any (a file or JWK wins over a secret). */
function enrollmentFromEnv(
  env: NodeJS.ProcessEnv,
  services: ProvinceServices,
): { enrollmentSigner?: SignerSource } {
  const file = env[LOCAL_ENV.ENROLLMENT_KEY_FILE];
  const jwk = env[LOCAL_ENV.ENROLLMENT_KEY_JWK];
  const secretArn = env[ENV.ENROLLMENT_KEY_SECRET_ARN];
  if (file) return { enrollmentSigner: () => signerFromKeyFile(file) };
  if (jwk) {
    return {
      enrollmentSigner: () => LocalKeySigner.fromPrivateJwk(parseStrictJson(jwk) as Record<string, unknown>),
    };
  }
  if (!secretArn) return {};
  const secretSigner = services.secretSigner;
  if (!secretSigner) throw notBuiltFor(ENV.ENROLLMENT_KEY_SECRET_ARN);
  // createProvinceDeps memoizes the signer: the secret is read once per process (again after a failure).
  return { enrollmentSigner: () => secretSigner(secretArn) };
}

/**
 * The sunset's shredder from the environment: the issuer's KMS keys (their kids, for the plan, from
 * `kmsSigners`; destroying needs no kid, so a retry in a new process does not read a disabled key)
 * and the enrollment secret. Undefined for every function but the sunset, which alone is built with
 * the shredder factories.
 */
function sunsetShredder(
  services: ProvinceServices,
  kmsIds: readonly string[],
  kmsSigners: () => Promise<Signer[]>,
  secretArn: string | undefined,
  enrollment: (() => Promise<Signer>) | undefined,
): KeyShredder | undefined {
  const shredders: KeyShredder[] = [];
  const makeKms = services.kmsShredder;
  if (makeKms) {
    const refs = (kids: readonly string[]) =>
      kmsIds.map((keyId, i) => ({ keyId, kid: kids[i] ?? '', use: 'issuer' as const }));
    shredders.push({
      plan: async (now) => makeKms(refs((await kmsSigners()).map((s) => s.kid))).plan(now),
      destroy: () => makeKms(refs([])).destroy(),
    });
  }
  if (services.secretShredder && secretArn && enrollment) {
    shredders.push(services.secretShredder(secretArn, async () => (await enrollment()).kid));
  }
  return shredders.length > 0 ? combinedShredder(shredders) : undefined;
}

/**
 * Build a node's dependencies from the Lambda environment: `TABLE_NAME`, `REGION_CODE`,
 * `FEDERATION_ID`, `EXCHANGE_URL` (may be empty: the node then answers from its replica and
 * every exchange call fails as `EXCHANGE_UNAVAILABLE`), `EXCHANGE_STATIC_URL` (optional: the
 * exchange's static site, asked first for the list, deltas and status batches), `FEDERATION_JWKS` (JSON), the issuer key as
 * `ISSUER_KMS_KEY_ID` (comma-separated for several generations) or `ISSUER_KEY_FILE`
 * (comma-separated files), and the enrollment key as `ENROLLMENT_KEY_FILE`, `ENROLLMENT_KEY_JWK` or
 * `ENROLLMENT_KEY_SECRET_ARN` (AWS: read from Secrets Manager on first use, then kept for the
 * life of the process). The KMS and Secrets Manager variables need the matching
 * {@link ProvinceServices} factory: a variable naming a service the handler did not pass is a
 * deployment error, reported when the handler is built.
 */
export function provinceDepsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  services: ProvinceServices = {},
): ProvinceDeps {
  const region = requiredEnv(env, ENV.REGION_CODE);
  const jwks = parseStrictJson(requiredEnv(env, ENV.FEDERATION_JWKS)) as Jwks;
  const dynamo = dynamoClient();
  const kmsIds = (env[ENV.ISSUER_KMS_KEY_ID] ?? '').split(',').filter(Boolean);
  const keyFiles = (env[LOCAL_ENV.ISSUER_KEY_FILE] ?? '').split(',').filter(Boolean);
  const kmsSigner = services.kmsSigner;
  if (kmsIds.length > 0 && !kmsSigner) throw notBuiltFor(ENV.ISSUER_KMS_KEY_ID);
  const issuerSigners: SignerSource[] = kmsSigner ? kmsIds.map((keyId) => () => kmsSigner(keyId)) : [];
  const tableName = requiredEnv(env, ENV.TABLE_NAME);
  const repository = new DynamoProvinceRepository(dynamo, tableName);
  // Key files are read again when the active kid is not among them (a rotation added a key).
  let fileSigners: Promise<Signer[]> | undefined;
  const loadFiles = () =>
    Promise.all(keyFiles.flatMap((f) => readPrivateJwks(f)).map((jwk) => LocalKeySigner.fromPrivateJwk(jwk)));
  const kmsSigners = memoAsync(() => Promise.all(issuerSigners.map(resolve)));
  const issuer = activeSignerResolver({
    repository,
    signers: async (reload) => {
      if (reload || !fileSigners) fileSigners = loadFiles();
      return [...(await kmsSigners()), ...(await fileSigners)];
    },
  });
  const retentionJson = env[ENV.RETENTION_POLICY];
  const retention = retentionJson
    ? assertValid(isRetentionPolicy, parseStrictJson(retentionJson), ENV.RETENTION_POLICY)
    : undefined;
  const codeFormat = env[ENV.CODE_FORMAT];
  if (codeFormat !== undefined && !isCodeFormat(codeFormat)) {
    throw new InternalError(
      new Error(
        `${ENV.CODE_FORMAT} must be one of ${CODE_FORMATS.join(', ')}, not ${JSON.stringify(codeFormat)}`,
      ),
    );
  }
  const { enrollmentSigner } = enrollmentFromEnv(env, services);
  const enrollment = enrollmentSigner ? memoAsync(() => resolve(enrollmentSigner)) : undefined;
  // Only the sunset function is built with the shredders (and only it may disable or delete the keys).
  // The secret is destroyed only when it is the enrollment key's source (a file or JWK wins over it).
  const secretArn =
    env[LOCAL_ENV.ENROLLMENT_KEY_FILE] || env[LOCAL_ENV.ENROLLMENT_KEY_JWK]
      ? undefined
      : env[ENV.ENROLLMENT_KEY_SECRET_ARN];
  const keyShredder = sunsetShredder(services, kmsIds, kmsSigners, secretArn, enrollment);
  return createProvinceDeps({
    region,
    federationId: requiredEnv(env, ENV.FEDERATION_ID),
    repository,
    client: dynamo,
    tableName,
    ...callerLimitFromEnv(env, services),
    issuer,
    ...(retention ? { retention } : {}),
    ...(codeFormat !== undefined ? { codeFormat } : {}),
    ...(keyShredder ? { keyShredder } : {}),
    ...(enrollment ? { enrollmentSigner: enrollment } : {}),
    // Optional: without it (not handed out yet) every exchange call fails as EXCHANGE_UNAVAILABLE.
    exchangeUrl: env[ENV.EXCHANGE_URL] ?? '',
    // Optional: the trust-list site (S3 + CloudFront); nodes fetch the list, deltas and batches there.
    ...(env[ENV.EXCHANGE_STATIC_URL] ? { exchangeStaticUrl: env[ENV.EXCHANGE_STATIC_URL] } : {}),
    federationJwks: jwks,
    holderChecks: holderChecksFromEnv(env),
  });
}

/** Environment variable `name` as a small non-negative integer, when set. */
function envInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^[0-9]{1,4}$/.test(v)) throw new InternalError(new Error(`${name} must be a small integer`));
  return Number(v);
}

/**
 * The per-caller limit's secret and size: `CALLER_KEY_SECRET_ARN` (AWS: read on the first holder
 * check, needs `services.secretString`; without it, a secret of this process only) and
 * `HOLDER_CHECKS_PER_CALLER` (per 60 s window).
 */
function callerLimitFromEnv(
  env: NodeJS.ProcessEnv,
  services: ProvinceServices,
): Pick<ProvinceDepsInput, 'callerSecret' | 'callerLimits'> {
  const arn = env[ENV.CALLER_KEY_SECRET_ARN];
  const perWindow = envInteger(env, ENV.HOLDER_CHECKS_PER_CALLER);
  const limits = perWindow !== undefined ? { callerLimits: { perWindow } } : {};
  if (!arn) return limits;
  const secretString = services.secretString;
  if (!secretString) throw notBuiltFor(ENV.CALLER_KEY_SECRET_ARN);
  return { ...limits, callerSecret: async () => Buffer.from(await secretString(arn), 'utf8') };
}

/** `HOLDER_CHECK_CONCURRENCY` / `HOLDER_CHECK_QUEUE` (non-negative integers), when set. */
function holderChecksFromEnv(env: NodeJS.ProcessEnv): HolderGateOptions {
  const concurrency = envInteger(env, LOCAL_ENV.HOLDER_CHECK_CONCURRENCY);
  const queue = envInteger(env, LOCAL_ENV.HOLDER_CHECK_QUEUE);
  return { ...(concurrency !== undefined ? { concurrency } : {}), ...(queue !== undefined ? { queue } : {}) };
}
