/**
 * Strict base64url (RFC 4648 §5, no padding) as JWS requires it.
 *
 * Node's decoder skips characters outside the alphabet, accepts `=` padding and the `+` and `/` of
 * standard base64, and ignores non-zero unused bits in the last character, so many strings decode
 * to the same bytes. Here a segment is accepted only when it is the one base64url encoding of its
 * bytes (it re-encodes to exactly itself: one value, one string). That is checked without
 * re-encoding, on the verification hot path: a possible length (not 1 mod 4); ASCII only (Node
 * reads a character above U+00FF by its low byte); every character decoded (Node skips anything
 * else outside its alphabet, `=` included, and each skipped character shortens the output below
 * the length the segment's length implies); no `+` or `/`; and the unused low bits of a final
 * partial group zero. test/core/b64.test.ts checks this against the
 * re-encoding definition, character by character and on random strings.
 */

/** Value of each base64url character by code (64: not one). */
const VALUE = new Uint8Array(128).fill(64);
for (let i = 0; i < 64; i++)
  VALUE['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i;

/** Bytes a canonical base64url segment of `length` characters stands for (`length` not 1 mod 4). */
function decodedLength(length: number): number {
  return (length * 3) >> 2;
}

/**
 * True when the characters Node's decoder took from `segment` (which gave `written` bytes) are
 * all of it, are all base64url, and leave no unused bit set: `segment` is canonical.
 */
function canonical(segment: string, written: number): boolean {
  const n = segment.length;
  if (
    written !== decodedLength(n) ||
    // Node reads a character above U+00FF by its low byte ('Ł', U+0141, as 'A'): ASCII only.
    Buffer.byteLength(segment, 'utf8') !== n ||
    segment.indexOf('+') !== -1 ||
    segment.indexOf('/') !== -1
  )
    return false;
  const rest = n & 3;
  if (rest === 0) return true;
  // The last character of a 2- (3-)character group carries 4 (2) unused low bits.
  const last = segment.charCodeAt(n - 1);
  return last < 128 && (VALUE[last] & (rest === 2 ? 15 : 3)) === 0;
}

/** Decode a base64url segment, or return `undefined` when it is not canonical base64url. */
export function decodeB64url(segment: string): Buffer | undefined {
  if ((segment.length & 3) === 1) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return canonical(segment, bytes.length) ? bytes : undefined;
}

/**
 * Decode a canonical base64url segment into `target` at `offset`, without allocating (for bytes
 * read once and dropped, like a JWS payload on its way to the JSON parser, or a signature placed
 * next to the bytes it signs). The number of bytes, or -1 when `segment` is not canonical
 * base64url or its bytes do not fit.
 */
export function decodeB64urlInto(segment: string, target: Buffer, offset = 0): number {
  if ((segment.length & 3) === 1 || offset + decodedLength(segment.length) > target.length) return -1;
  const written = target.write(segment, offset, 'base64url');
  return canonical(segment, written) ? written : -1;
}

/** Bytes of a base64url segment of `length` characters, if it is canonical (-1: impossible length). */
export function b64urlDecodedLength(length: number): number {
  return (length & 3) === 1 ? -1 : decodedLength(length);
}

/** Encode bytes (or a UTF-8 string) as base64url without padding. */
export function encodeB64url(data: Uint8Array | string): string {
  return (
    typeof data === 'string'
      ? Buffer.from(data, 'utf8')
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  ).toString('base64url');
}
