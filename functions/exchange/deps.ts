/**
 * Everything the exchange's handlers need, built once per process: explicitly
 * ({@link createExchangeDeps}: tests, the embedded runtime) or from the Lambda environment
 * ({@link exchangeDepsFromEnv}). Building does no I/O: the federation signer is created on first
 * use (a KMS `GetPublicKey`, or a key file read).
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InternalError } from '../core/errors';
import { parseStrictJson } from '../core/json';
import { LocalKeySigner, type Signer } from '../core/signer';
import { DynamoExchangeRepository } from './dynamo-repository';
import type { ExchangeRepository } from './repository';
import type { ExchangeContext } from './service';
import { TrustListPublisher } from './trust-list-publisher';
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
  /** Where the full list is published after each change (S3 in AWS); none in the embedded runtime. */
  readonly trustListSink?: TrustListSink;
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
  };
  const trustLists = new TrustListPublisher(base);
  if (!sink) return { ...base, trustLists };
  return {
    ...base,
    trustLists,
    trustListSink: sink,
    afterChange: async () => {
      await publishTrustList({ repository, trustLists, sink }, 'change');
    },
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new InternalError(new Error(`missing configuration ${name}`));
  return value;
}

// AWS clients: created once per process, on first use.
let dynamo: DynamoDBClient | undefined;
let s3: Promise<TrustListSink> | undefined;

/** The S3 sink of `bucket`, its SDK loaded on the first publication (most functions never publish). */
function s3Sink(bucket: string): TrustListSink {
  return {
    async put(jws, etag) {
      s3 ??= Promise.all([import('@aws-sdk/client-s3'), import('./s3-trust-list-sink')]).then(
        ([{ S3Client }, { S3TrustListSink }]) => new S3TrustListSink(new S3Client({}), bucket),
      );
      return (await s3).put(jws, etag);
    },
  };
}

/**
 * Build the exchange's dependencies from the Lambda environment: `TABLE_NAME`, `FEDERATION_ID`, and
 * the federation key as `FEDERATION_KMS_KEY_ID` (AWS) or `FEDERATION_KEY_FILE` (a private JWK file,
 * embedded runtime), and `TRUST_LIST_BUCKET` when the function publishes the list to S3. The KMS
 * and S3 modules are loaded only when used.
 */
export function exchangeDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ExchangeDeps {
  const kmsKeyId = env.FEDERATION_KMS_KEY_ID;
  const keyFile = env.FEDERATION_KEY_FILE;
  if (!kmsKeyId && !keyFile)
    throw new InternalError(new Error('missing configuration FEDERATION_KMS_KEY_ID'));
  const signer = kmsKeyId
    ? async () => {
        const [{ KMSClient }, { KmsSigner }] = await Promise.all([
          import('@aws-sdk/client-kms'),
          import('../core/kms-signer'),
        ]);
        return KmsSigner.create({ client: new KMSClient({}), keyId: kmsKeyId });
      }
    : async () =>
        LocalKeySigner.fromPrivateJwk(
          parseStrictJson(readFileSync(keyFile as string, 'utf8')) as Record<string, unknown>,
        );
  dynamo ??= new DynamoDBClient({});
  return createExchangeDeps({
    client: dynamo,
    tableName: required(env, 'TABLE_NAME'),
    federationId: required(env, 'FEDERATION_ID'),
    signer,
    ...(env.TRUST_LIST_BUCKET ? { trustListSink: s3Sink(env.TRUST_LIST_BUCKET) } : {}),
  });
}
