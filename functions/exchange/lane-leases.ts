/**
 * Fair appends across Lambda instances: at most `perLane` appends of one lane (one province, or the
 * operator) in flight federation-wide, whichever instance serves them.
 *
 * `fair-turns.ts` makes one process fair (round robin by lane), but in AWS every Lambda instance is
 * its own process: without this, a province sending many concurrent requests puts as many writers
 * at the log head, and an honest province's append races all of them on the conditional write. With
 * a lease per lane, an honest append races at most `perLane` writers per other busy lane, so it wins
 * within a few attempts whatever one province sends.
 *
 * A lease is one item per slot (`pk = LANE#<lane>`, `sk = SLOT#<i>`), taken with a single-item
 * conditional put (free, or its lease ran out) and given back with a conditional delete (still ours):
 * no transactions, so it works on dynalite as on DynamoDB. A lease runs out at the invocation's own
 * deadline (Lambda stops the instance there), or after `leaseMs` when no deadline is known, so a
 * crashed instance blocks its lane's slot for at most that long, and only its own province's lane.
 * Its `ttl` lets DynamoDB (or the embedded sweeper) delete a lease left behind.
 *
 * A request that finds its lane's slots all taken waits (jittered backoff, reading the lane's slots
 * and writing only to one that looks free, so waiting costs reads, not writes) up to `waitMs`, then is
 * refused with the retryable `503 APPEND_LANE_BUSY` and `Retry-After`: only the province that sends
 * too much at once waits or is refused, never another. 503 (not 429) because a province node treats
 * any 5xx from the exchange as "retry later" and keeps the change pending; nothing is lost.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient, isConditionFailed } from '../aws/dynamodb';
import { RetryLater } from '../core/errors';
import { currentInvocation, throwIfPastDeadline } from '../core/invocation';

/** How many appends of one lane may be in flight, and how long the others wait. */
export interface LaneLeaseOptions {
  /** Appends of one lane in flight federation-wide (default 2). */
  readonly perLane?: number;
  /** A lease's length when the invocation's deadline is unknown, ms (default 30 000). */
  readonly leaseMs?: number;
  /** How long a request waits for a free slot of its lane before 503, ms (default 3 000). */
  readonly waitMs?: number;
  /** `Retry-After` of the refusal, seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** Epoch milliseconds (tests). */
  readonly nowMs?: () => number;
}

/** `503 APPEND_LANE_BUSY`: this lane's appends are all in flight; retry after `retryAfterSeconds`. */
export class AppendLaneBusy extends RetryLater {
  constructor(retryAfterSeconds: number) {
    super('APPEND_LANE_BUSY', retryAfterSeconds);
  }
}

/** The item of slot `slot` of `lane`. */
export const laneSlotKey = (lane: string, slot: number) => ({ pk: `LANE#${lane}`, sk: `SLOT#${slot}` });

/** Per-lane leases in the exchange table (see the module comment). */
export class LaneLeases {
  private readonly doc: DynamoDBDocumentClient;
  readonly perLane: number;
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private readonly retryAfter: number;
  private readonly nowMs: () => number;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    options: LaneLeaseOptions = {},
  ) {
    this.doc = documentClient(client);
    this.perLane = options.perLane ?? 2;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.waitMs = options.waitMs ?? 3_000;
    this.retryAfter = options.retryAfterSeconds ?? 1;
    this.nowMs = options.nowMs ?? Date.now;
    if (!Number.isInteger(this.perLane) || this.perLane < 1) {
      throw new TypeError('LaneLeases: perLane must be an integer ≥ 1');
    }
  }

  /**
   * Take a slot of `lane` (waiting up to `waitMs`), or throw {@link AppendLaneBusy}. Call the
   * returned function exactly once when the append is done: it gives the slot back.
   */
  async acquire(lane: string): Promise<() => Promise<void>> {
    const start = this.nowMs();
    // Start at a random slot: requests of one lane do not all knock on slot 0 first.
    const first = Math.floor(Math.random() * this.perLane);
    let slots = Array.from({ length: this.perLane }, (_, i) => (first + i) % this.perLane);
    for (let round = 0; ; round++) {
      throwIfPastDeadline();
      for (const slot of slots) {
        const holder = await this.tryTake(lane, slot);
        if (holder) return once(() => this.release(lane, slot, holder));
      }
      const waited = this.nowMs() - start;
      if (waited >= this.waitMs) throw new AppendLaneBusy(this.retryAfter);
      const backoff = Math.min(25 * 2 ** Math.min(round, 4), 400);
      await sleep(Math.min(this.waitMs - waited, backoff / 2 + Math.random() * backoff));
      // Waiting: one cheap read of the lane's slots, and a conditional write only on one that looks free.
      slots = await this.freeSlots(lane);
    }
  }

  /** The slots of `lane` that look free (eventually consistent read: the put decides). */
  private async freeSlots(lane: string): Promise<number[]> {
    const now = this.nowMs();
    const { Items } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': laneSlotKey(lane, 0).pk },
        ProjectionExpression: 'sk, leaseUntil',
      }),
    );
    const taken = new Set((Items ?? []).filter((i) => Number(i.leaseUntil) >= now).map((i) => String(i.sk)));
    return Array.from({ length: this.perLane }, (_, i) => i)
      .filter((i) => !taken.has(laneSlotKey(lane, i).sk))
      .sort(() => Math.random() - 0.5)
      .slice(0, 1);
  }

  /** The lease's end: the invocation's deadline when known, else `leaseMs` from now. */
  private leaseUntil(now: number): number {
    const remaining = currentInvocation()?.context.getRemainingTimeInMillis?.();
    const ms = typeof remaining === 'number' && Number.isFinite(remaining) ? remaining : this.leaseMs;
    return now + Math.max(0, Math.min(ms, this.leaseMs));
  }

  private async tryTake(lane: string, slot: number): Promise<string | undefined> {
    const holder = randomBytes(12).toString('base64url');
    const now = this.nowMs();
    const until = this.leaseUntil(now);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...laneSlotKey(lane, slot), holder, leaseUntil: until, ttl: Math.ceil(until / 1000) + 60 },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return holder;
    } catch (e) {
      if (isConditionFailed(e)) return undefined;
      throw e;
    }
  }

  private async release(lane: string, slot: number, holder: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: laneSlotKey(lane, slot),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
    } catch (e) {
      // Ran out and taken by another request meanwhile: that one's now; nothing to give back.
      if (isConditionFailed(e)) return;
      throw e;
    }
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
