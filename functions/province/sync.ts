/**
 * Sync: bring the node's registry replica up to date with the exchange, or keep the last good one.
 *
 * 1. Read the replica. None yet, or too many deltas on top of its last full list: full resync.
 * 2. Otherwise `GET /v1/trust-list?since=<version>`, check the delta's federation signature with the
 *    configured federation keys (never keys from the list), apply it with the core's `applyDelta`
 *    (hash chain from our own head: rollback, fork and gap are refused).
 * 3. A refused delta (ROLLBACK, FORK, GAP) or a delta the exchange cannot serve: full resync with
 *    `openTrustList`, which still refuses a list older than the replica, or of the same version with
 *    another log head.
 * 4. Write the replica with the repository's conditional commit (an older concurrent sync never
 *    overwrites a newer replica) and the sync status. Any failure leaves the replica untouched.
 */
import { toHcxError } from '../http/problem-details';
import type { Logger } from '@aws-lambda-powertools/logger';
import { HcxError, TrustListRejected } from '../core/errors';
import { errorLogAttributes, logger as rootLogger } from '../aws/observability';
import type { TrustList } from '../core/schemas/types.gen';
import { applyDelta, openDelta, openTrustList, type FederationKeys } from '../core/trustlist/trust-list';
import type { ExchangeClient } from './exchange-client';
import type { Replica, ProvinceRepository, SyncStatus } from './repository';

export type { FederationKeys };

/** After this many deltas on one full list, the next sync fetches the full list again. */
export const MAX_DELTAS_PER_BASE = 60;

/** Delta refusals that a full resync can resolve. */
const RESYNC_REASONS = new Set(['ROLLBACK', 'FORK', 'GAP']);

/** What sync needs. */
export interface SyncDeps {
  readonly repository: ProvinceRepository;
  readonly exchange: ExchangeClient;
  readonly federationKeys: FederationKeys;
  /** NumericDate seconds. */
  readonly now: () => number;
  readonly logger?: Logger;
}

/** The outcome of one sync run (also stored as the sync status). */
export interface SyncOutcome {
  readonly result: SyncStatus['lastResult'];
  readonly mode?: 'delta' | 'full';
  /** Replica version after the run (undefined when there is still none). */
  readonly version?: number;
  /** Stable error code of a failed run. */
  readonly error?: string;
  /** Whether a refused delta made this run fall back to a full resync. */
  readonly fellBack?: boolean;
}

/** A delta the exchange will not serve (4xx on `?since=`): fall back to the full list. */
class DeltaUnavailable extends Error {}

function errorCode(e: unknown): string {
  if (e instanceof TrustListRejected) return e.reason;
  // A throttled or unreachable table is SERVICE_UNAVAILABLE, like everywhere else.
  return toHcxError(e).code;
}

/** Run one sync; never throws (the outcome says what happened, and is stored as the sync status). */
export async function syncOnce(deps: SyncDeps): Promise<SyncOutcome> {
  const log = deps.logger ?? rootLogger;
  const now = deps.now();
  let outcome: SyncOutcome;
  let replica: Replica | undefined;
  try {
    replica = await deps.repository.getReplica();
    if (!replica || replica.evidence.deltas.length >= MAX_DELTAS_PER_BASE) {
      outcome = await fullSync(deps, replica, now);
    } else {
      try {
        outcome = await deltaSync(deps, replica, now);
      } catch (e) {
        const resolvable =
          e instanceof DeltaUnavailable || (e instanceof TrustListRejected && RESYNC_REASONS.has(e.reason));
        if (!resolvable) throw e;
        log.warn('delta refused, full resync', { reason: errorCode(e), version: replica.list.version });
        outcome = { ...(await fullSync(deps, replica, now)), fellBack: true };
      }
    }
  } catch (e) {
    outcome = { result: 'failed', error: errorCode(e), version: replica?.list.version };
    log.warn('sync failed, keeping the replica', { ...errorLogAttributes(e), syncError: outcome.error });
  }
  const previous = await deps.repository.getSyncStatus().catch(() => undefined);
  const status: SyncStatus = {
    lastSyncAt: now,
    lastResult: outcome.result,
    ...(outcome.mode ? { mode: outcome.mode } : {}),
    ...(outcome.error ? { lastError: outcome.error } : {}),
    ...(outcome.result !== 'failed'
      ? { lastSuccessAt: now }
      : previous?.lastSuccessAt !== undefined
        ? { lastSuccessAt: previous.lastSuccessAt }
        : {}),
  };
  try {
    await deps.repository.putSyncStatus(status);
  } catch (e) {
    log.warn('sync status not written', errorLogAttributes(e));
  }
  log.info('sync finished', {
    result: outcome.result,
    mode: outcome.mode,
    version: outcome.version,
    syncError: outcome.error,
  });
  return outcome;
}

async function deltaSync(deps: SyncDeps, replica: Replica, now: number): Promise<SyncOutcome> {
  const answer = await deps.exchange.getTrustList(replica.list.version);
  if (answer.status !== 200) throw new DeltaUnavailable(`exchange answered ${answer.status}`);
  const delta = await openDelta(answer.body, deps.federationKeys, { now });
  if (
    delta.version === replica.list.version &&
    delta.entries.length === 0 &&
    delta.issuedAt <= replica.list.issuedAt
  ) {
    return { result: 'unchanged', mode: 'delta', version: replica.list.version };
  }
  const next = applyDelta(replica.list, delta, { now });
  const evidence = {
    ...replica.evidence,
    deltas: [...replica.evidence.deltas, { jws: answer.body, acceptedAt: now }],
  };
  return write(deps, next, evidence, now, 'delta');
}

async function fullSync(deps: SyncDeps, replica: Replica | undefined, now: number): Promise<SyncOutcome> {
  const answer = await deps.exchange.getTrustList();
  if (answer.status !== 200) {
    throw new HcxError('EXCHANGE_REFUSED', 502, 'The exchange did not serve the trust list', {
      detail: `exchange answered ${answer.status}`,
    });
  }
  const list = await openTrustList(answer.body, deps.federationKeys, { now });
  if (replica) {
    const held = replica.list;
    if (list.version < held.version) {
      throw new TrustListRejected('ROLLBACK', 'The trust list is older than the replica');
    }
    if (list.version === held.version && list.logHead !== held.logHead) {
      throw new TrustListRejected('FORK', 'The trust list disagrees with the replica at the same version');
    }
    if (list.version === held.version && list.issuedAt <= held.issuedAt) {
      return { result: 'unchanged', mode: 'full', version: held.version };
    }
  }
  return write(deps, list, { base: answer.body, baseAcceptedAt: now, deltas: [] }, now, 'full');
}

async function write(
  deps: SyncDeps,
  list: TrustList,
  evidence: Replica['evidence'],
  now: number,
  mode: 'delta' | 'full',
): Promise<SyncOutcome> {
  const { written } = await deps.repository.putReplica(list, evidence, now);
  // Not written: a concurrent sync already stored a newer replica, which is just as good.
  return { result: written ? 'updated' : 'unchanged', mode, version: list.version };
}
