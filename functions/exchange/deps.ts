/**
 * Everything the exchange's handlers need, built once per process: explicitly
 * ({@link createExchangeDeps}: tests, the embedded runtime) or from the Lambda environment
 * ({@link exchangeDepsFromEnv}). Building does no I/O: the federation signer is created on first
 * use (a KMS `GetPublicKey`, or a key file read). This module loads no AWS SDK but DynamoDB's: KMS
 * and S3 come from the handlers that use them ({@link ExchangeServices}).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../aws/dynamodb';
import { ENV, LOCAL_ENV } from '../aws/env';
import { notBuiltFor, requiredEnv } from '../core/config-env';
import { InternalError } from '../core/errors';
import { signerFromKeyFile } from '../core/files';
import type { Signer } from '../core/signer';
import type { KeyShredder } from '../core/sunset/key-shredder';
import type { KmsKeyRef } from '../aws/kms-shredder';
import { DynamoExchangeRepository } from './dynamo-repository';
import { LaneLeases, type LaneLeaseOptions } from './lane-leases';
import type { ExchangeRepository } from './repository';
import type { ExchangeContext } from './service';
import { CHECKPOINT_EVERY, publishDeltaArtefacts, TrustListPublisher } from './trust-list-publisher';
import { publishTrustList, type TrustListSink } from './trust-list-sink';

/** The dependencies of every exchange handler. */
export interface ExchangeDeps extends ExchangeContext {
  readonly repository: ExchangeRepository;
  /** The federation signer (trust lists and deltas), created on first use. */
  readonly signer: () => Promise<Signer>;
  readonly federationId: string;
  /** NumericDate seconds. */
  readonly now: () => number;
  /** The signed trust list and deltas, cached per log head (one per process). */
  readonly trustLists: TrustListPublisher;
  /**
   * Where the static artefacts (full list, deltas, status batches) are published after each change:
   * S3 in AWS, the runtime's `/static/` files in the embedded runtime. The deltas are stored in the
   * table after each change in either case (`afterChange`).
   */
  readonly trustListSink?: TrustListSink;
  /** Destroys the federation key at the federation's sunset (only the sunset function has one). */
  readonly federationKeyShredder?: KeyShredder;
}

/** A signer, or a function creating it on first use. */
export type SignerSource = Signer | (() => Promise<Signer>);

/** What {@link createExchangeDeps} takes: a repository, or a DynamoDB client and the table name. */
export interface ExchangeDepsInput {
  readonly repository?: ExchangeRepository;
  readonly client?: DynamoDBClient;
  readonly tableName?: string;
  readonly signer: SignerSource;
  readonly federationId: string;
  readonly now?: () => number;
  /** Publish the full list here after every change (see publishTrustList). */
  readonly trustListSink?: TrustListSink;
  readonly federationKeyShredder?: KeyShredder;
  /** Per-lane append leases (with `client` and `tableName`; lane-leases.ts); defaults otherwise. */
  readonly laneLeases?: LaneLeaseOptions;
}

/** Memoize an async factory; a failure is not kept (the next call tries again). */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= make().catch((e: unknown) => {
      value = undefined;
      throw e;
    });
    return value;
  };
}

/** Build the exchange's dependencies from explicit values (no I/O). */
export function createExchangeDeps(input: ExchangeDepsInput): ExchangeDeps {
  const repository =
    input.repository ??
    (input.client && input.tableName
      ? new DynamoExchangeRepository(input.client, input.tableName)
      : undefined);
  if (!repository) throw new TypeError('createExchangeDeps: repository or client and tableName required');
  const source = input.signer;
  const signer = typeof source === 'function' ? once(source) : () => Promise.resolve(source);
  const sink = input.trustListSink;
  const base: ExchangeContext = {
    repository,
    signer,
    federationId: input.federationId,
    now: input.now ?? (() => Math.floor(Date.now() / 1000)),
    // The leases live in the same table as the log (a repository given alone: tests of one process).
    ...(input.client && input.tableName
      ? { lanes: new LaneLeases(input.client, input.tableName, input.laneLeases) }
      : {}),
  };
  const trustLists = new TrustListPublisher(base, CHECKPOINT_EVERY, sink);
  const shredder = input.federationKeyShredder ? { federationKeyShredder: input.federationKeyShredder } : {};
  // After every change: the deltas to the new head (what nodes sync from), then the full list.
  return {
    ...base,
    ...shredder,
    trustLists,
    ...(sink ? { trustListSink: sink } : {}),
    afterChange: async () => {
      await publishDeltaArtefacts(trustLists);
      if (sink) await publishTrustList({ repository, trustLists, sink }, 'change');
    },
  };
}

/**
 * The AWS services beyond DynamoDB that a handler uses, passed by the handlers that use them (the
 * stack grants the same per function: `EXCHANGE_ACCESS` in lib/stacks/exchange-stack.ts). A handler
 * imports the factories it needs, so no function loads the SDK of a service it never calls.
 */
export interface ExchangeServices {
  /** Signs with a KMS key: `kmsSignerFor` (functions/aws/kms-signer.ts). */
  readonly kmsSigner?: (keyId: string) => Promise<Signer>;
  /** Publishes the signed list to an S3 bucket: `s3TrustListSinkFor` (./s3-trust-list-sink.ts). */
  readonly s3Sink?: (bucket: string) => TrustListSink;
  /** Destroys KMS keys at sunset: `kmsShredder` (functions/aws/kms-shredder.ts). */
  readonly kmsShredder?: (keys: readonly KmsKeyRef[]) => KeyShredder;
}

const resolveSigner = (source: SignerSource): Promise<Signer> =>
  typeof source === 'function' ? source() : Promise.resolve(source);

function federationSigner(env: NodeJS.ProcessEnv, services: ExchangeServices): SignerSource {
  const kmsKeyId = env[ENV.FEDERATION_KMS_KEY_ID];
  const keyFile = env[LOCAL_ENV.FEDERATION_KEY_FILE];
  if (kmsKeyId) {
    const kmsSigner = services.kmsSigner;
    if (!kmsSigner) throw notBuiltFor(ENV.FEDERATION_KMS_KEY_ID);
    return () => kmsSigner(kmsKeyId);
  }
  if (keyFile) {
    return () => signerFromKeyFile(keyFile);
  }
  // Functions that neither sign nor serve the federation key (the stack grants them no key).
  return () => Promise.reject(new InternalError(new Error('this function holds no federation key')));
}

/**
 * Build the exchange's dependencies from the Lambda environment: `TABLE_NAME`, `FEDERATION_ID`, the
 * federation key as `FEDERATION_KMS_KEY_ID` (AWS; needs `services.kmsSigner`) or
 * `FEDERATION_KEY_FILE` (a private JWK file), and `TRUST_LIST_BUCKET` when the function publishes
 * the list to S3 (needs `services.s3Sink`). A variable naming a service the handler did not pass is
 * a deployment error, reported when the handler is built.
 */
export function exchangeDepsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  services: ExchangeServices = {},
): ExchangeDeps {
  const signer = federationSigner(env, services);
  const bucket = env[ENV.TRUST_LIST_BUCKET];
  if (bucket && !services.s3Sink) throw notBuiltFor(ENV.TRUST_LIST_BUCKET);
  const dynamo = dynamoClient();
  const kmsKeyId = env[ENV.FEDERATION_KMS_KEY_ID];
  const make = services.kmsShredder;
  // Only the sunset function is built with a shredder; the key's kid comes from its signer.
  const federationKeyShredder: KeyShredder | undefined =
    make && kmsKeyId
      ? {
          plan: async (now) =>
            make([{ keyId: kmsKeyId, kid: (await resolveSigner(signer)).kid, use: 'federation' }]).plan(now),
          destroy: async () =>
            make([{ keyId: kmsKeyId, kid: (await resolveSigner(signer)).kid, use: 'federation' }]).destroy(),
        }
      : undefined;
  return createExchangeDeps({
    ...(federationKeyShredder ? { federationKeyShredder } : {}),
    client: dynamo,
    tableName: requiredEnv(env, ENV.TABLE_NAME),
    federationId: requiredEnv(env, ENV.FEDERATION_ID),
    signer,
    ...(bucket && services.s3Sink ? { trustListSink: services.s3Sink(bucket) } : {}),
  });
}
