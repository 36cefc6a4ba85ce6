/**
 * Status segments: the revocation state of codes that carry a status index (`si` claim).
 *
 * Each province numbers the codes it issues with a status index from its own counter. The index
 * space is cut into segments of {@link SEGMENT_BITS} consecutive indices; a segment is a set of
 * revoked offsets (a bitstring, W3C Bitstring Status List style). Since indices grow with issuance
 * time, a segment holds codes issued within a short window and expires whole.
 *
 * A segment travels as its canonical raw form (what is hashed and signed), which is the smaller of:
 * tag 0 + the LEB128 varint gaps between sorted offsets (sparse: about one byte per revoked code),
 * or tag 1 + the plain bitmap (dense: 1/8 byte per index, whatever the count). On the wire the raw
 * form is deflated and base64url'd ({@link packSegment}). Every decoder here is strict: exactly one
 * raw form per set, so a hash commits to one set.
 *
 * Deflate is fflate's (pure JavaScript), so the same code runs in Node and in the checkpoint page.
 */
import { createHash } from 'node:crypto';
import { decodeB64url, encodeB64url } from '../b64';
import type * as Deflate from './deflate';

// fflate builds its Huffman tables when it is loaded (about 10 ms of CPU in a cold process): it is
// loaded the first time a segment is packed or read, so a function that never does (issue, most
// exchange routes) does not pay for it at cold start (docs/deploy.md#cold-start).
let deflateModule: typeof Deflate | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fflate = (): typeof Deflate => (deflateModule ??= require('./deflate') as typeof Deflate);

/** log2 of {@link SEGMENT_BITS}. */
const SEGMENT_SHIFT = 20;
/** Indices per segment (2^20): a dense segment is 128 KiB raw, a whole day of a province ~40 of them. */
export const SEGMENT_BITS = 1 << SEGMENT_SHIFT;
/** Bytes of a segment's bitmap form. */
export const SEGMENT_BITMAP_BYTES = SEGMENT_BITS / 8;
/** Largest status index a code may carry (2^40 - 1: segments numbered below 2^20). */
export const MAX_STATUS_INDEX = 2 ** 40 - 1;
/** Largest segment number. */
export const MAX_SEGMENT = MAX_STATUS_INDEX / SEGMENT_BITS;
/** Largest raw form of a segment: the bitmap and its tag (varint form is chosen only when smaller). */
export const MAX_SEGMENT_RAW_BYTES = SEGMENT_BITMAP_BYTES + 1;

/**
 * Most offsets a {@link SegmentSet} keeps bucketed (its bucket starts are 16-bit); a fuller segment
 * is kept as its bitmap, which is then about as small.
 */
const MAX_BUCKETED = 0xffff;

const TAG_GAPS = 0;
const TAG_BITMAP = 1;

/** A segment's content was refused (not canonical, out of range, too large, not decodable). */
export class SegmentInvalid extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SegmentInvalid';
  }
}

/** Segment number and offset of a status index. */
export function locate(si: number): { segment: number; offset: number } {
  return { segment: Math.floor(si / SEGMENT_BITS), offset: si % SEGMENT_BITS };
}

/**
 * The revoked offsets of one segment, kept for an O(1) lookup that allocates nothing: up to
 * {@link MAX_BUCKETED} offsets as a bucketed array, more as the bitmap (128 KiB).
 *
 * Bucketed: the segment's offsets are cut into 2^(20-b) buckets of 2^b consecutive offsets, `b`
 * chosen so a bucket holds 16 to 32 revoked offsets on average (9 <= b <= 16; fewer for a segment
 * of under 256). `starts[k]` is where bucket k's offsets begin in `low`, which keeps only their low
 * b bits (16-bit). A lookup reads two neighbouring entries of `starts` (the whole table is at most
 * 8 KiB, about 512 bytes for a segment of 7,000: it stays in the CPU cache) and searches the low
 * bits between them, which sit in one or two cache lines: at most b + 1 steps, whatever the
 * segment's size, usually 5. Memory: about 2.1 bytes per revoked offset.
 */
export class SegmentSet {
  private constructor(
    /** Bucket width in bits (0 for the bitmap form). */
    private readonly b: number,
    /** Bucketed form: where each bucket's offsets start in `low`, and one past the last. */
    private readonly starts: Uint16Array | undefined,
    /** Bucketed form: the low `b` bits of each offset, sorted. */
    private readonly low: Uint16Array | undefined,
    private readonly bitmap: Uint8Array | undefined,
    /** Number of revoked offsets. */
    readonly count: number,
  ) {}

  /** Build from sorted, distinct offsets below {@link SEGMENT_BITS} (not re-checked). */
  static fromSorted(offsets: Uint32Array): SegmentSet {
    const n = offsets.length;
    if (n > MAX_BUCKETED) {
      const bitmap = new Uint8Array(SEGMENT_BITMAP_BYTES);
      for (const o of offsets) bitmap[o >>> 3] |= 1 << (o & 7);
      return new SegmentSet(0, undefined, undefined, bitmap, n);
    }
    // 16 to 32 offsets per bucket on average: n/32 < 2^(20-b) <= n/16 buckets, within 8 <= b <= 16.
    const b = Math.min(16, Math.max(8, SEGMENT_SHIFT - Math.floor(Math.log2(Math.max(n, 16) / 16))));
    const buckets = SEGMENT_BITS >>> b;
    const starts = new Uint16Array(buckets + 1);
    const low = new Uint16Array(n);
    const mask = (1 << b) - 1;
    let i = 0;
    for (let k = 0; k < buckets; k++) {
      starts[k] = i;
      while (i < n && offsets[i] >>> b === k) {
        low[i] = offsets[i] & mask;
        i++;
      }
    }
    starts[buckets] = n;
    return new SegmentSet(b, starts, low, undefined, n);
  }

  static empty(): SegmentSet {
    return SegmentSet.fromSorted(new Uint32Array(0));
  }

  has(offset: number): boolean {
    const bitmap = this.bitmap;
    if (bitmap !== undefined) return (bitmap[offset >>> 3] & (1 << (offset & 7))) !== 0;
    const b = this.b;
    const starts = this.starts as Uint16Array;
    const low = this.low as Uint16Array;
    const k = offset >>> b;
    const want = offset & ((1 << b) - 1);
    let lo = starts[k];
    let hi = starts[k + 1] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = low[mid];
      if (v === want) return true;
      if (v < want) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** The offsets, sorted. */
  offsets(): Uint32Array {
    const out = new Uint32Array(this.count);
    if (this.bitmap === undefined) {
      const starts = this.starts as Uint16Array;
      const low = this.low as Uint16Array;
      for (let k = 0; k + 1 < starts.length; k++) {
        for (let i = starts[k]; i < starts[k + 1]; i++) out[i] = (k << this.b) | low[i];
      }
      return out;
    }
    let n = 0;
    const bm = this.bitmap;
    for (let byte = 0; byte < bm.length; byte++) {
      let b = bm[byte];
      while (b !== 0) {
        const lowest = b & -b;
        out[n++] = byte * 8 + (31 - Math.clz32(lowest));
        b ^= lowest;
      }
    }
    return out;
  }

  /** Bytes this set holds in memory (for the heap figures). */
  get bytes(): number {
    if (this.bitmap) return this.bitmap.byteLength;
    return (this.starts as Uint16Array).byteLength + (this.low as Uint16Array).byteLength;
  }

  /** True when every offset of `other` is in this set. */
  covers(other: SegmentSet): boolean {
    if (other.count > this.count) return false;
    for (const o of other.offsets()) if (!this.has(o)) return false;
    return true;
  }

  /** This set plus `offsets` (sorted, distinct). */
  union(offsets: Uint32Array): SegmentSet {
    return SegmentSet.fromSorted(mergeSorted(this.offsets(), offsets));
  }
}

/** The sorted union of two sorted, distinct arrays. */
export function mergeSorted(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x < y) {
      out[n++] = x;
      i++;
    } else if (y < x) {
      out[n++] = y;
      j++;
    } else {
      out[n++] = x;
      i++;
      j++;
    }
  }
  while (i < a.length) out[n++] = a[i++];
  while (j < b.length) out[n++] = b[j++];
  return n === out.length ? out : out.slice(0, n);
}

/** Sorted, distinct copy of `values` (status indices or offsets), as a Uint32Array when they fit. */
export function sortedDistinct(values: Iterable<number>): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.filter((v, i) => i === 0 || v !== sorted[i - 1]);
}

function gapsForm(offsets: Uint32Array): Uint8Array {
  const out = new Uint8Array(1 + offsets.length * 3);
  out[0] = TAG_GAPS;
  let n = 1;
  let prev = -1;
  for (const o of offsets) {
    // The first gap is offset + 1, so every gap is >= 1 and a zero gap (a repeat) cannot be written.
    let gap = o - prev;
    prev = o;
    while (gap >= 0x80) {
      out[n++] = (gap & 0x7f) | 0x80;
      gap >>>= 7;
    }
    out[n++] = gap;
  }
  return out.subarray(0, n);
}

/** The canonical raw form of a set: the smaller of the gap and bitmap forms (gaps on a tie). */
export function encodeSegment(set: SegmentSet): Uint8Array {
  const offsets = set.offsets();
  // Each gap takes at least one byte: only when there are fewer offsets than the bitmap's bytes
  // can the gap form win, so the bitmap is built only then.
  if (offsets.length < SEGMENT_BITMAP_BYTES) {
    const gaps = gapsForm(offsets);
    if (gaps.length <= SEGMENT_BITMAP_BYTES + 1) return gaps;
  }
  const out = new Uint8Array(SEGMENT_BITMAP_BYTES + 1);
  out[0] = TAG_BITMAP;
  for (const o of offsets) out[1 + (o >>> 3)] |= 1 << (o & 7);
  return out;
}

/** Decode a raw form; refuses anything {@link encodeSegment} would not have produced. */
export function decodeSegment(raw: Uint8Array): SegmentSet {
  if (raw.length === 0) throw new SegmentInvalid('empty segment');
  if (raw[0] === TAG_BITMAP) {
    if (raw.length !== SEGMENT_BITMAP_BYTES + 1) throw new SegmentInvalid('bitmap of the wrong size');
    let count = 0;
    for (let i = 1; i < raw.length; i++) count += popcount8(raw[i]);
    const set = SegmentSet.fromSorted(bitmapOffsets(raw.subarray(1), count));
    if (count < SEGMENT_BITMAP_BYTES && gapsForm(set.offsets()).length <= SEGMENT_BITMAP_BYTES + 1) {
      throw new SegmentInvalid('a sparse segment in bitmap form is not canonical');
    }
    return set;
  }
  if (raw[0] !== TAG_GAPS) throw new SegmentInvalid('unknown segment form');
  if (raw.length > SEGMENT_BITMAP_BYTES + 1) throw new SegmentInvalid('gap form larger than the bitmap');
  const out = new Uint32Array(raw.length - 1);
  let n = 0;
  let prev = -1;
  let i = 1;
  while (i < raw.length) {
    let gap = 0;
    let shift = 0;
    for (;;) {
      if (i >= raw.length || shift > 21) throw new SegmentInvalid('truncated or oversized varint');
      const b = raw[i++];
      gap += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) {
        // Canonical LEB128: no trailing zero byte (except the single byte of a small gap).
        if (b === 0 && shift > 7) throw new SegmentInvalid('non-canonical varint');
        break;
      }
    }
    if (gap === 0) throw new SegmentInvalid('repeated offset');
    prev += gap;
    if (prev >= SEGMENT_BITS) throw new SegmentInvalid('offset beyond the segment');
    out[n++] = prev;
  }
  if (n >= SEGMENT_BITMAP_BYTES) throw new SegmentInvalid('a dense segment in gap form is not canonical');
  return SegmentSet.fromSorted(out.slice(0, n));
}

function popcount8(b: number): number {
  b = b - ((b >>> 1) & 0x55);
  b = (b & 0x33) + ((b >>> 2) & 0x33);
  return (b + (b >>> 4)) & 0x0f;
}

function bitmapOffsets(bitmap: Uint8Array, count: number): Uint32Array {
  const out = new Uint32Array(count);
  let n = 0;
  for (let byte = 0; byte < bitmap.length; byte++) {
    let b = bitmap[byte];
    while (b !== 0) {
      const low = b & -b;
      out[n++] = byte * 8 + (31 - Math.clz32(low));
      b ^= low;
    }
  }
  return out;
}

/** The wire form of a raw segment: deflate (RFC 1951), then base64url. */
export function packSegment(raw: Uint8Array): string {
  return encodeB64url(fflate().deflateSync(raw, { level: 9 }));
}

/** Input fed to the inflater at a time: deflate expands ≤ ~1,032×, so one step yields ≤ ~1 MiB. */
const INFLATE_STEP = 1024;

/**
 * Inflate raw deflate `bytes` into at most `max` bytes; throws past `max` (a zip bomb stops after
 * one step, never inflating the whole input) and on a stream that is not deflate or is cut short.
 */
function inflateCapped(bytes: Uint8Array, max: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new (fflate().Inflate)((chunk) => {
    total += chunk.length;
    if (total > max) throw new SegmentInvalid('larger than a segment can be');
    chunks.push(chunk);
  });
  for (let at = 0; at < bytes.length || at === 0; at += INFLATE_STEP) {
    const end = Math.min(at + INFLATE_STEP, bytes.length);
    inflater.push(bytes.subarray(at, end), end === bytes.length);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) out.set(c, (at += c.length) - c.length);
  return out;
}

/** base64url SHA-256 of a string (a batch's JWS text) or bytes (a segment's raw form). */
export function sha256(data: string | Uint8Array): string {
  return encodeB64url(createHash('sha256').update(data).digest());
}

/** Inflate and decode one segment's `bits`; a refused segment is `SegmentInvalid`. */
export function readSegmentBits(bits: string): { set: SegmentSet; digest: string } {
  const bytes = decodeB64url(bits);
  if (!bytes) throw new SegmentInvalid('not base64url');
  let raw: Uint8Array;
  try {
    raw = inflateCapped(bytes, MAX_SEGMENT_RAW_BYTES);
  } catch {
    throw new SegmentInvalid('not a deflated segment, or larger than a segment can be');
  }
  return { set: decodeSegment(raw), digest: sha256(raw) };
}

/** Group status indices by segment: segment number -> sorted distinct offsets. */
export function groupBySegment(indices: Iterable<number>): Map<number, Uint32Array> {
  const groups = new Map<number, number[]>();
  for (const si of indices) {
    const { segment, offset } = locate(si);
    let g = groups.get(segment);
    if (!g) groups.set(segment, (g = []));
    g.push(offset);
  }
  const out = new Map<number, Uint32Array>();
  for (const [segment, offsets] of [...groups].sort((a, b) => a[0] - b[0])) {
    out.set(segment, Uint32Array.from(sortedDistinct(offsets)));
  }
  return out;
}
