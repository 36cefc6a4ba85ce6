/**
 * A per-caller limit on holder checks (`POST /v1/codes/verify` with `holder`: one 32 MiB scrypt
 * each), shared by every instance of the node: a fixed-window counter per caller in the province's
 * table. HTTP APIs have route throttles only (no usage plans, no WAF), and the per-process gate
 * (core/holder-gate.ts) bounds one instance's work, not one caller's: this counts each caller across
 * all instances, in AWS as in the embedded runtime.
 *
 * The item is `pk = CALLER#<tag>`, `sk = WINDOW`: `tag` is a keyed hash of the caller and the window
 * (core/caller-tag.ts), never the address; `n` counts the checks; `ttl` deletes it one window after
 * the window ends (DynamoDB TTL, the embedded sweeper). One conditional update takes a check
 * (`ADD n 1` while `n < perWindow`): no read first, no transaction. A caller past its limit is
 * refused with `429 HOLDER_CHECKS_PER_CALLER` and `Retry-After` (the seconds left in the window),
 * before any scrypt work.
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient, isConditionFailed } from '../aws/dynamodb';
import { CALLER_PK_PREFIX, callerTag } from '../core/caller-tag';
import { RetryLater } from '../core/errors';

/** How many holder checks one caller may run per window. */
export interface CallerLimitOptions {
  /** Holder checks per caller per window (default 30). */
  readonly perWindow?: number;
  /** Window length, seconds (default 60). */
  readonly windowSeconds?: number;
  /** Epoch seconds (tests). */
  readonly now?: () => number;
}

/** `429 HOLDER_CHECKS_PER_CALLER`: this caller's holder checks for the window are used up. */
export class HolderChecksPerCaller extends RetryLater {
  constructor(retryAfterSeconds: number) {
    super('HOLDER_CHECKS_PER_CALLER', retryAfterSeconds);
  }
}

/** The node secret of the keyed hash: read once (a failure is not kept). */
export type CallerSecret = () => Promise<Uint8Array>;

/** A secret that lives in this process only (the embedded runtime: one process serves the node). */
export function processCallerSecret(): CallerSecret {
  const secret = randomBytes(32);
  return () => Promise.resolve(secret);
}

/** The per-caller holder-check limit over the province table. */
export class CallerLimit {
  private readonly doc: DynamoDBDocumentClient;
  readonly perWindow: number;
  readonly windowSeconds: number;
  private readonly now: () => number;
  private secret: Promise<Uint8Array> | undefined;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly readSecret: CallerSecret,
    options: CallerLimitOptions = {},
  ) {
    this.doc = documentClient(client);
    this.perWindow = options.perWindow ?? 30;
    this.windowSeconds = options.windowSeconds ?? 60;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    if (!Number.isInteger(this.perWindow) || this.perWindow < 1) {
      throw new TypeError('CallerLimit: perWindow must be an integer ≥ 1');
    }
    if (!Number.isInteger(this.windowSeconds) || this.windowSeconds < 1) {
      throw new TypeError('CallerLimit: windowSeconds must be an integer ≥ 1');
    }
  }

  private key(): Promise<Uint8Array> {
    this.secret ??= this.readSecret().catch((e: unknown) => {
      this.secret = undefined;
      throw e;
    });
    return this.secret;
  }

  /** Count one holder check of `caller` (core/caller-tag.ts `callerOf`), or throw {@link HolderChecksPerCaller}. */
  async take(caller: string): Promise<void> {
    const now = this.now();
    const windowStart = now - (now % this.windowSeconds);
    const windowEnd = windowStart + this.windowSeconds;
    const tag = callerTag(await this.key(), caller, windowStart);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `${CALLER_PK_PREFIX}${tag}`, sk: 'WINDOW' },
          UpdateExpression: 'ADD n :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(n) OR n < :max',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':max': this.perWindow,
            ':ttl': windowEnd + this.windowSeconds,
          },
        }),
      );
    } catch (e) {
      if (isConditionFailed(e)) {
        throw new HolderChecksPerCaller(Math.max(1, windowEnd - now));
      }
      throw e;
    }
  }
}
