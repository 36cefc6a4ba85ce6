/**
 * The verifier's side of status segments: an index of revoked status indices, loaded with only what
 * the hot path needs (no JWS, schema or zlib code).
 */
import type { TrustListStatusSegment } from '../schemas/types.gen';
import { SEGMENT_BITS, type SegmentSet } from './segment';

/** Slots of a region's segment table beyond its segments count before a Map is used instead. */
const SPARSE_SLACK = 1024;

/**
 * One region's segments: a table indexed by segment number minus the lowest one when they are
 * close together (a province's live segments are consecutive: indices grow with issuance time), or
 * a Map when they are spread far apart.
 */
interface RegionSegments {
  base: number;
  /** The table; null when the segments are too far apart for one; undefined until built. */
  table: (SegmentSet | undefined)[] | null | undefined;
  readonly bySegment: Map<number, SegmentSet>;
}

/**
 * The verifier's index of revoked status indices: region -> segment -> set. Built from the list's
 * segment table and the segments read from their batches. `isRevoked` is O(1) and allocates
 * nothing: one Map read for the region, one array read for the segment, one bucket search in the
 * segment's set ({@link SegmentSet.has}).
 */
export class StatusIndex {
  private readonly byRegion = new Map<string, RegionSegments>();

  /** Add the set of one listed segment (the caller checked it against the list's digest). */
  add(region: string, segment: number, set: SegmentSet): void {
    let r = this.byRegion.get(region);
    if (!r) this.byRegion.set(region, (r = { base: 0, table: undefined, bySegment: new Map() }));
    r.bySegment.set(segment, set);
    r.table = undefined; // rebuilt on the next lookup
  }

  isRevoked(region: string, si: number): boolean {
    const r = this.byRegion.get(region);
    if (r === undefined) return false;
    const segment = Math.floor(si / SEGMENT_BITS);
    const offset = si - segment * SEGMENT_BITS;
    const table = r.table === undefined ? tabulate(r) : r.table;
    let set: SegmentSet | undefined;
    if (table === null) set = r.bySegment.get(segment);
    else {
      const slot = segment - r.base;
      if (slot < 0 || slot >= table.length) return false;
      set = table[slot];
    }
    return set !== undefined && set.has(offset);
  }

  /** Revoked indices held, and the bytes their sets take in memory. */
  stats(): { revoked: number; segments: number; bytes: number } {
    let revoked = 0;
    let segments = 0;
    let bytes = 0;
    for (const r of this.byRegion.values()) {
      for (const set of r.bySegment.values()) {
        revoked += set.count;
        segments++;
        bytes += set.bytes;
      }
    }
    return { revoked, segments, bytes };
  }
}

/** Build `r`'s segment table, or null (looked up in the Map) when its segments are too far apart. */
function tabulate(r: RegionSegments): (SegmentSet | undefined)[] | null {
  let lowest = Infinity;
  let highest = -Infinity;
  for (const segment of r.bySegment.keys()) {
    lowest = Math.min(lowest, segment);
    highest = Math.max(highest, segment);
  }
  const span = highest - lowest + 1;
  if (span > r.bySegment.size + SPARSE_SLACK) return (r.table = null);
  const table = new Array<SegmentSet | undefined>(span).fill(undefined);
  for (const [segment, set] of r.bySegment) table[segment - lowest] = set;
  r.base = lowest;
  return (r.table = table);
}

/** `region:segment` of a listed segment. */
export function segmentId(s: Pick<TrustListStatusSegment, 'region' | 'segment'>): string {
  return `${s.region}:${s.segment}`;
}
