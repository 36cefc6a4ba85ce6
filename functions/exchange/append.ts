/**
 * The exchange's append protocol: every mutation goes through {@link appendWith}: read the log
 * head, make sure the projections are written through it (repairing whatever a writer killed
 * between two writes left undone), check the rule against that state, and append the entry at
 * head + 1 with a conditional write. A writer that loses the race re-reads and re-checks, so
 * concurrent requests end with exactly one winner and a log that is never forked or gapped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HcxError, ServiceUnavailable } from '../core/errors';
import { errorLogAttributes, logger } from '../aws/observability';
import { throwIfPastDeadline } from '../core/invocation';
import type { LogEntry } from '../core/schemas/types.gen';
import type { Signer } from '../core/signer';
import { makeEntry, type LogEntryInput } from '../core/trustlist/log';
import { turnsFor } from './fair-turns';
import type { LaneLeases } from './lane-leases';
import type { ExchangeRepository } from './repository';

/** What the domain functions need (a subset of ExchangeDeps). */
export interface ExchangeContext {
  readonly repository: ExchangeRepository;
  readonly federationId: string;
  /** The federation signer (created on first use). */
  readonly signer: () => Promise<Signer>;
  /** NumericDate seconds. */
  readonly now: () => number;
  /**
   * Called after a mutation appended to the log, before it answers (publishes the trust list to S3
   * in AWS). Must not throw: the change is committed whatever happens to its publication.
   */
  readonly afterChange?: () => Promise<void>;
  /**
   * Per-lane leases in the table: at most a few appends of one province in flight across every
   * instance (lane-leases.ts). Built by `createExchangeDeps` whenever it has the table.
   */
  readonly lanes?: LaneLeases;
  /**
   * Patch items under a whole item before the exchange stores a segment revision whole again
   * (default STORED_CHAIN_BOUND, functions/exchange/status.ts); 0 stores every revision whole (the
   * bench's comparison).
   */
  readonly storedChainBound?: number;
}

/** Attempts at appending before answering a retryable 503 (each lost race is one attempt). */
const MAX_APPEND_ATTEMPTS = 100;

/** Write the projections through the log head and return the head entry (undefined: empty log). */
export async function catchUp(repository: ExchangeRepository): Promise<LogEntry | undefined> {
  const head = await repository.lastEntry();
  if (!head) return undefined;
  // After the federation's sunset the projections are erased on purpose: never rebuild them.
  if (head.type === 'federation.sunset') return head;
  let projected = await repository.projectedThrough();
  while (projected < head.seq) {
    const entries = await repository.readLog(projected, Math.min(head.seq - projected, 500));
    if (entries.length === 0) break;
    await repository.project(entries);
    projected = entries[entries.length - 1].seq;
  }
  return head;
}

/**
 * Append the entry `decide` makes at the next seq, after checking its rule against the state at the
 * head (decide throws the domain error, or returns undefined when there is nothing to do).
 */
export async function appendWith(
  ctx: ExchangeContext,
  decide: (seq: number) => Promise<LogEntryInput | undefined>,
  lane = 'operator',
): Promise<LogEntry | undefined> {
  // First a lease of the lane, federation-wide (lane-leases.ts): a province waits for its own slots
  // only, so it never holds this process's turn while it waits.
  const endLease = ctx.lanes ? await ctx.lanes.acquire(lane) : undefined;
  try {
    // Then one turn at the tail at a time in this process, round robin by province (fair-turns.ts).
    const endTurn = await turnsFor(ctx.repository).acquire(lane);
    try {
      return await appendInTurn(ctx, decide);
    } finally {
      endTurn();
    }
  } finally {
    // A lease not given back runs out at the invocation's deadline: never fail the request for it.
    await endLease?.().catch((e: unknown) => logger.warn('lane lease not released', errorLogAttributes(e)));
  }
}

async function appendInTurn(
  ctx: ExchangeContext,
  decide: (seq: number) => Promise<LogEntryInput | undefined>,
): Promise<LogEntry | undefined> {
  for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
    // Past the request's deadline the caller has been answered 504: start nothing new.
    throwIfPastDeadline();
    const head = await catchUp(ctx.repository);
    if (head?.type === 'federation.sunset') throw federationEnded();
    const input = await decide((head?.seq ?? 0) + 1);
    if (!input) return undefined;
    const entry = makeEntry(head, input);
    throwIfPastDeadline();
    if (await ctx.repository.appendEntry(entry)) {
      try {
        await ctx.repository.project([entry]);
      } catch (e) {
        // The entry is in the ledger, so the request succeeded; the next writer or reader projects it.
        logger.warn('projection deferred', { ...errorLogAttributes(e), seq: entry.seq });
      }
      logger.info('log entry appended', {
        seq: entry.seq,
        entryType: entry.type,
        ...('region' in entry ? { region: entry.region } : {}),
      });
      return entry;
    }
    // Lost the race for this seq: back off a little, then re-read and re-check.
    await sleep(Math.floor(Math.random() * 5 * Math.min(attempt + 1, 10)));
  }
  throw new ServiceUnavailable(new Error('log append kept losing the race'));
}

/** What every change answers once the federation has ended (410 FEDERATION_SUNSET). */
export function federationEnded(): HcxError {
  return new HcxError('FEDERATION_SUNSET');
}
