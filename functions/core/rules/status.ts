/**
 * The exchange's rules for a status publication (functions/exchange/status.ts), per segment and per
 * province, as pure decisions over the state read at the log head: the same `Decision` shape as the
 * other commands' (./exchange.ts), so `enforce` turns a refusal into its 409.
 */
import type { SegmentSet } from '../status/segment';
import { refused } from './codes';
import type { Decision } from './exchange';
import { revocationLive } from './revocation';

/** Most live (unexpired) status segments one province may have: 312 x 2^20 indices, ~7 days of national issuance. */
export const MAX_LIVE_SEGMENTS_PER_PROVINCE = 312;

/** A segment as the exchange holds it, or as a publication carries it. */
export interface SegmentVersion {
  readonly rev: number;
  readonly digest: string;
  readonly exp: number;
}

/**
 * One segment of a publication against the one held: the same revision and content is `UNCHANGED`
 * (a retry); an older or equal revision otherwise is `SEGMENT_REV_STALE`; a newer one is `APPEND`.
 * `supersedesLive` says the held one is still live, so the new content must cover it
 * ({@link segmentShrinks}); otherwise the segment adds to the province's live count.
 */
export function decideSegment(
  held: SegmentVersion | undefined,
  next: SegmentVersion,
  now: number,
): { readonly decision: Decision<'SEGMENT_REV_STALE'>; readonly supersedesLive: boolean } {
  if (held && held.rev >= next.rev) {
    const same = held.rev === next.rev && held.digest === next.digest;
    return { decision: same ? 'UNCHANGED' : refused('SEGMENT_REV_STALE'), supersedesLive: false };
  }
  return { decision: 'APPEND', supersedesLive: held !== undefined && revocationLive(held.exp, now) };
}

/**
 * A revocation is never undone: new content that misses a revoked offset of the live content it
 * replaces, or expires earlier, is `SEGMENT_SHRINKS`.
 */
export function segmentShrinks(
  held: { readonly exp: number; readonly set: SegmentSet },
  next: { readonly exp: number; readonly set: SegmentSet },
): 'SEGMENT_SHRINKS' | undefined {
  return next.exp < held.exp || !next.set.covers(held.set) ? refused('SEGMENT_SHRINKS') : undefined;
}

/** `added` new live segments on top of `live`: past {@link MAX_LIVE_SEGMENTS_PER_PROVINCE} is `STATUS_SEGMENTS_FULL`. */
export function liveSegmentsRefusal(live: number, added: number): 'STATUS_SEGMENTS_FULL' | undefined {
  return added > 0 && live + added > MAX_LIVE_SEGMENTS_PER_PROVINCE
    ? refused('STATUS_SEGMENTS_FULL')
    : undefined;
}

/**
 * Most patches a segment may carry since its last full publication. A holder that lacks the base
 * (a fresh node or offline client, or one that missed revisions) walks back at most this many
 * batches, and the publishing node re-sends the full segment once per this many revisions: at
 * 10M revocations a full segment is ~12 KB, so 1/32 of it (~380 bytes) per revision is of the
 * order of a one-offset patch's own item and log row (~330 bytes), while a walk stays ≤ 33 fetches
 * of immutable, cacheable batches (docs/scale.md "Cost of a change").
 */
export const MAX_PATCH_CHAIN = 32;

/** A segment as the exchange holds it, with where it was published and its patches since a full one. */
export interface HeldSegment extends SegmentVersion {
  readonly batch: string;
  /** Patches since the last full publication (0 or absent: a full one). */
  readonly depth?: number;
}

/**
 * A patch applies only to the live revision held, named exactly (revision, digest, batch):
 * otherwise `SEGMENT_BASE_STALE` (the publisher then sends the full segment). A patch that would
 * make the chain longer than {@link MAX_PATCH_CHAIN} is `SEGMENT_CHAIN_FULL`. On success, the depth
 * the new revision has (never-shrink and expiry stay {@link segmentShrinks}'s, on the content the
 * patch gives).
 */
export function patchRefusal(
  held: HeldSegment | undefined,
  base: { readonly rev: number; readonly digest: string; readonly batch: string },
  now: number,
): { readonly refusal: 'SEGMENT_BASE_STALE' | 'SEGMENT_CHAIN_FULL' } | { readonly depth: number } {
  if (
    !held ||
    !revocationLive(held.exp, now) ||
    held.rev !== base.rev ||
    held.digest !== base.digest ||
    held.batch !== base.batch
  ) {
    return { refusal: refused('SEGMENT_BASE_STALE') };
  }
  const depth = (held.depth ?? 0) + 1;
  if (depth > MAX_PATCH_CHAIN) return { refusal: refused('SEGMENT_CHAIN_FULL') };
  return { depth };
}
