/**
 * Sync: bring the node's registry replica up to date with the exchange, or keep the last good one.
 *
 * 1. Read the replica. None yet, or too many deltas on top of its last full list: full resync.
 * 2. Otherwise the delta from `<version>` (`v1/trust-list/deltas/<version>` from the exchange's static
 *    site when configured, else, or when that copy is missing or refused, `GET /v1/trust-list?since=`), check the delta's federation signature with the
 *    configured federation keys (never keys from the list), apply it with the core's `applyDelta`
 *    (hash chain from our own head: rollback, fork and gap are refused).
 * 3. A refused delta (ROLLBACK, FORK, GAP) or a delta the exchange cannot serve: full resync with
 *    `openTrustList`, which still refuses a list older than the replica, or of the same version with
 *    another log head.
 * 4. Write the replica with the repository's conditional commit (an older concurrent sync never
 *    overwrites a newer replica) and the sync status. Any failure leaves the replica untouched.
 *    Before it, the listed status segments are made held, reading only the items the committed
 *    replica does not list (status.ts `ensureSegments`); when a verifier asked for a check
 *    (`SEGMENT_CHECK`, it found one missing), every listed item is read first and what is missing healed.
 */
import type { Logger } from '../aws/lambda-log';
import { HcxError, toHcxError, TrustListRejected } from '../core/errors';
import { errorLogAttributes, logger as rootLogger } from '../aws/observability';
import type { TrustList, TrustListDelta } from '../core/schemas/types.gen';
import { compareTrustLists } from '../core/rules';
import { applyDelta, openDelta, openTrustList, type FederationKeys } from '../core/trustlist/trust-list';
import { fetchArtefact, type RefusalSink, type StaticRefusal } from './artefacts';
import type { ExchangeClient } from './exchange-client';
import type { Replica, ProvinceRepository, SyncStatus } from './repository';
import { ensureSegments } from './status';

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
  /** Told of each static artefact refused (then asked from the API); syncOnce collects them. */
  readonly refused?: RefusalSink;
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
  /** Static artefacts refused in this run (each then asked from the exchange API), with their reason. */
  readonly staticRefused?: readonly StaticRefusal[];
  /** Segment items healed by a check a verifier asked for (functions/province/status.ts). */
  readonly repaired?: number;
}

/** A delta the exchange will not serve (4xx on `?since=`): fall back to the full list. */
class DeltaUnavailable extends Error {}

function isResolvable(e: unknown): boolean {
  return e instanceof DeltaUnavailable || (e instanceof TrustListRejected && RESYNC_REASONS.has(e.reason));
}

function errorCode(e: unknown): string {
  if (e instanceof TrustListRejected) return e.reason;
  // A throttled or unreachable table is SERVICE_UNAVAILABLE, like everywhere else.
  return toHcxError(e).code;
}

/** Run one sync; never throws (the outcome says what happened, and is stored as the sync status). */
export async function syncOnce(syncDeps: SyncDeps): Promise<SyncOutcome> {
  const log = syncDeps.logger ?? rootLogger;
  const now = syncDeps.now();
  const refusals: StaticRefusal[] = [];
  const deps: SyncDeps = {
    ...syncDeps,
    refused: (r) => {
      refusals.push(r);
      syncDeps.refused?.(r);
    },
  };
  const done = (outcome: SyncOutcome) =>
    finish(deps, log, now, refusals.length > 0 ? { ...outcome, staticRefused: refusals } : outcome);
  let outcome: SyncOutcome;
  let replica: Replica | undefined;
  let heldVersion: number | undefined;
  try {
    // Idle path: the replica's metadata (one small item) and one delta request; nothing else is
    // read and nothing written when the exchange has nothing new.
    // A verifier that found a listed segment unheld asked for a check (half a read unit to know).
    const [meta, check] = await Promise.all([
      deps.repository.getReplicaMeta(),
      deps.repository.getSegmentCheck(),
    ]);
    heldVersion = meta?.version;
    let prefetched: Prefetched | undefined;
    if (meta) {
      try {
        prefetched = await fetchDelta(deps, meta.version, now);
      } catch (e) {
        // A delta a full resync may resolve falls through to the full path; anything else fails now.
        if (!isResolvable(e)) throw e;
      }
      if (prefetched && isUnchanged(prefetched.delta, meta) && !check) {
        return await done({ result: 'unchanged', mode: 'delta', version: meta.version });
      }
    }
    replica = await deps.repository.getReplica();
    let repaired: number | undefined;
    if (check) {
      // Every item the replica lists read and resolved (nothing taken as held), what is missing
      // fetched again; a failure keeps the check for the next run and says why in the status.
      repaired = replica ? (await ensureSegments(deps, replica.list)).fetched : 0;
      await deps.repository.clearSegmentCheck(check.at);
      log.warn('segment check done', { version: replica?.list.version, asked: check.unheld, repaired });
      if (replica && prefetched && isUnchanged(prefetched.delta, replica.list)) {
        return await done({
          result: repaired > 0 ? 'updated' : 'unchanged',
          mode: 'delta',
          version: replica.list.version,
          repaired,
        });
      }
    }
    const also = repaired === undefined ? {} : { repaired };
    if (!replica || replica.evidence.deltas.length >= MAX_DELTAS_PER_BASE) {
      outcome = { ...(await fullSync(deps, replica, now)), ...also };
    } else {
      try {
        outcome = { ...(await deltaSync(deps, replica, now, prefetched)), ...also };
      } catch (e) {
        if (!isResolvable(e)) throw e;
        log.warn('delta refused, full resync', { reason: errorCode(e), version: replica.list.version });
        outcome = { ...(await fullSync(deps, replica, now)), fellBack: true, ...also };
      }
    }
  } catch (e) {
    outcome = { result: 'failed', error: errorCode(e), version: replica?.list.version ?? heldVersion };
    log.warn('sync failed, keeping the replica', { ...errorLogAttributes(e), syncError: outcome.error });
  }
  return done(outcome);
}

/**
 * While idle, the sync status is rewritten at most every this many seconds: an idle run writes
 * nothing, and `GET /v1/registry` still shows a recent `lastSyncAt`.
 */
export const IDLE_STATUS_SECONDS = 300;

/** Record the outcome as the sync status (skipped for an idle run shortly after the same one). */
async function finish(deps: SyncDeps, log: Logger, now: number, outcome: SyncOutcome): Promise<SyncOutcome> {
  const previous = await deps.repository.getSyncStatus().catch(() => undefined);
  if (
    outcome.result === 'unchanged' &&
    previous?.lastResult === 'unchanged' &&
    previous.lastError === undefined &&
    now - previous.lastSyncAt < IDLE_STATUS_SECONDS
  ) {
    log.debug('sync finished, idle', { version: outcome.version });
    return outcome;
  }
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

interface Prefetched {
  /** The version the delta was asked from. */
  readonly since: number;
  readonly jws: string;
  readonly delta: TrustListDelta;
}

/** How a static copy is fetched and refused: the run's refusal sink and logger. */
const artefactOptions = (deps: SyncDeps) => ({
  ...(deps.refused ? { refused: deps.refused } : {}),
  ...(deps.logger ? { logger: deps.logger } : {}),
});

async function fetchDelta(deps: SyncDeps, since: number, now: number): Promise<Prefetched> {
  return fetchArtefact(
    deps.exchange,
    'delta',
    (source) => deps.exchange.getTrustList(since, source),
    async (answer) => {
      if (answer.status !== 200) throw new DeltaUnavailable(`exchange answered ${answer.status}`);
      return { since, jws: answer.body, delta: await openDelta(answer.body, deps.federationKeys, { now }) };
    },
    artefactOptions(deps),
  );
}

/**
 * Nothing new (compareTrustLists): the same log issued at the same time or earlier; the held one is
 * kept. A delta at the held version with another head is a FORK, left to applyDelta to refuse.
 */
function isUnchanged(
  delta: TrustListDelta,
  held: { version: number; logHead: string; issuedAt: number },
): boolean {
  const order = compareTrustLists(held, delta);
  return order === 'SAME' || order === 'REISSUED_EARLIER';
}

async function deltaSync(
  deps: SyncDeps,
  replica: Replica,
  now: number,
  prefetched?: Prefetched,
): Promise<SyncOutcome> {
  const { jws, delta } =
    prefetched && prefetched.since === replica.list.version
      ? prefetched
      : await fetchDelta(deps, replica.list.version, now);
  if (isUnchanged(delta, replica.list)) {
    return { result: 'unchanged', mode: 'delta', version: replica.list.version };
  }
  const next = applyDelta(replica.list, delta, { now });
  if (isReissue(replica, next, delta)) {
    // The same list dated anew: the metadata only, the content chunks stay (nothing large written).
    const written = await deps.repository.reissueReplica(
      replica.meta.generation,
      next,
      { jws, acceptedAt: now },
      now,
    );
    return { result: written ? 'updated' : 'unchanged', mode: 'delta', version: next.version };
  }
  // Only what changed is read: the rows the committed replica lists are held (status.ts takenAsHeld).
  await ensureSegments(deps, next, replica.list.statusSegments ?? []);
  const evidence = {
    ...replica.evidence,
    deltas: [...replica.evidence.deltas, { jws, acceptedAt: now }],
  };
  return write(deps, next, evidence, now, 'delta');
}

/** Margin kept between a re-issued list's expiry and its chunks' TTL. */
const REISSUE_TTL_MARGIN = 86_400;

/**
 * A delta with no entries that leaves the list's content as held (nothing pruned), only dated anew,
 * while the content chunks outlive the new expiry: it is stored as a re-issue (metadata only).
 */
function isReissue(replica: Replica, next: TrustList, delta: TrustListDelta): boolean {
  const undated = (l: TrustList) => JSON.stringify({ ...l, issuedAt: 0, expiresAt: 0 });
  return (
    delta.entries.length === 0 &&
    replica.meta.chunksExpireAt !== undefined &&
    next.expiresAt + REISSUE_TTL_MARGIN <= replica.meta.chunksExpireAt &&
    undated(next) === undated(replica.list)
  );
}

async function fullSync(deps: SyncDeps, replica: Replica | undefined, now: number): Promise<SyncOutcome> {
  // A static copy older than the replica (a cache a minute behind) is refused and the API asked.
  const { list, jws } = await fetchArtefact(
    deps.exchange,
    'list',
    (source) => deps.exchange.getTrustList(undefined, source),
    async (answer) => {
      if (answer.status !== 200) {
        throw new HcxError('EXCHANGE_REFUSED', { detail: `exchange answered ${answer.status}` });
      }
      const opened = await openTrustList(answer.body, deps.federationKeys, { now });
      const order = replica && compareTrustLists(replica.list, opened);
      if (order === 'ROLLBACK')
        throw new TrustListRejected('ROLLBACK', 'The trust list is older than the replica');
      if (order === 'FORK') {
        throw new TrustListRejected('FORK', 'The trust list disagrees with the replica at the same version');
      }
      return { list: opened, jws: answer.body };
    },
    artefactOptions(deps),
  );
  if (replica && compareTrustLists(replica.list, list) !== 'NEWER') {
    return { result: 'unchanged', mode: 'full', version: replica.list.version };
  }
  await ensureSegments(deps, list, replica?.list.statusSegments);
  return write(deps, list, { base: jws, baseAcceptedAt: now, deltas: [] }, now, 'full');
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
