/**
 * The verifier's side of status segments: an index of revoked status indices, loaded with only what
 * the hot path needs (no JWS, schema or zlib code).
 */
import type { TrustListStatusSegment } from '../schemas/types.gen';
import { locate, type SegmentSet } from './segment';

/**
 * The verifier's index of revoked status indices: region -> segment -> set. Built from the list's
 * segment table and the segments read from their batches; `isRevoked` is two map reads and a
 * binary search or bit test.
 */
export class StatusIndex {
  private readonly byRegion = new Map<string, Map<number, SegmentSet>>();

  /** Add the set of one listed segment (the caller checked it against the list's digest). */
  add(region: string, segment: number, set: SegmentSet): void {
    let m = this.byRegion.get(region);
    if (!m) this.byRegion.set(region, (m = new Map()));
    m.set(segment, set);
  }

  isRevoked(region: string, si: number): boolean {
    const { segment, offset } = locate(si);
    return this.byRegion.get(region)?.get(segment)?.has(offset) ?? false;
  }

  /** Revoked indices held, and the bytes their sets take in memory. */
  stats(): { revoked: number; segments: number; bytes: number } {
    let revoked = 0;
    let segments = 0;
    let bytes = 0;
    for (const m of this.byRegion.values()) {
      for (const set of m.values()) {
        revoked += set.count;
        segments++;
        bytes += set.bytes;
      }
    }
    return { revoked, segments, bytes };
  }
}

/** `region:segment` of a listed segment. */
export function segmentId(s: Pick<TrustListStatusSegment, 'region' | 'segment'>): string {
  return `${s.region}:${s.segment}`;
}
