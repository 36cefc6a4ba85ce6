/**
 * Rules comparing two trust lists (or a list and a delta), and a list's staleness. Pure.
 */

/** What {@link compareTrustLists} reads of a list or a delta: its log position and issue time. */
export interface ListPosition {
  readonly version: number;
  readonly logHead: string;
  /** NumericDate seconds. */
  readonly issuedAt: number;
}

/**
 * How a `candidate` list stands against the `held` one:
 * - `NEWER`: adopt it (a higher version, or the same log issued later; anything beats nothing);
 * - `SAME`: the same log issued at the same time: nothing to do;
 * - `REISSUED_EARLIER`: the same log, issued earlier than the held one: not newer, keep the held
 *   one. Not an error: the exchange re-issues the same log every 15 minutes, and two of its
 *   instances (or a cached copy) may serve the issues of two windows in either order;
 * - `ROLLBACK`: a lower version: refused;
 * - `FORK`: the same version with another log head: refused (the log forked).
 */
export type ListOrder = 'NEWER' | 'SAME' | 'REISSUED_EARLIER' | 'ROLLBACK' | 'FORK';

/**
 * The one "newer than" rule (rollback, fork and freshness of two lists). Every holder adopts a
 * list only when this says `NEWER`, keeps its own for `SAME` and `REISSUED_EARLIER`, and refuses
 * `ROLLBACK` and `FORK` with those reason codes. `applyDelta` refuses a delta that is not `NEWER`
 * or `SAME` (it never returns a list older than the one it was given), the province's replica
 * commit (a DynamoDB condition) writes only what this calls `NEWER`.
 */
export function compareTrustLists(held: ListPosition | undefined, candidate: ListPosition): ListOrder {
  if (!held) return 'NEWER';
  if (candidate.version < held.version) return 'ROLLBACK';
  if (candidate.version > held.version) return 'NEWER';
  if (candidate.logHead !== held.logHead) return 'FORK';
  if (candidate.issuedAt > held.issuedAt) return 'NEWER';
  return candidate.issuedAt === held.issuedAt ? 'SAME' : 'REISSUED_EARLIER';
}

/**
 * True when `a` should replace `b` ({@link compareTrustLists} says `NEWER`): a higher version, or
 * the same log (version and head) issued later. A list of the same version with another head is
 * never "newer": that is a fork.
 */
export function isNewer(a: ListPosition, b: ListPosition | undefined): boolean {
  return compareTrustLists(b, a) === 'NEWER';
}

/**
 * The staleness rule: a list (or the replica built from it) is stale strictly after its
 * `expiresAt`. Stale, a list still opens for an offline verifier (`allowExpired`), and verification
 * against it answers `indeterminate` with `TRUST_LIST_STALE`; a node refuses it (`EXPIRED`).
 */
export function isTrustListStale(list: { readonly expiresAt: number }, now: number): boolean {
  return now > list.expiresAt;
}

/** A list's age at `now` in seconds (never negative): what results show and the alarm watches. */
export function trustListAge(list: { readonly issuedAt: number }, now: number): number {
  return Math.max(0, now - list.issuedAt);
}

/**
 * The replica-age alarm: it fires when the replica's {@link trustListAge} is strictly above the
 * configured `syncStaleAfterSeconds` (CloudWatch `GreaterThanThreshold`, lib/constructs/monitoring.ts),
 * well before the list itself turns stale.
 */
export function replicaAgeAlarms(ageSeconds: number, staleAfterSeconds: number): boolean {
  return ageSeconds > staleAfterSeconds;
}
