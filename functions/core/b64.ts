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
 * partial group zero. Two decoders apply those rules: {@link decodeB64url} lets Node decode (it
 * allocates; any size, trust lists included) and checks the rules on its output;
 * {@link decodeB64urlBytes} decodes a copy of the characters as bytes in one pass that checks each
 * of them (the verification hot path, which copies a token's ASCII anyway as its signing input).
 * test/core/b64.test.ts holds both to the re-encoding definition, character by character and on
 * random strings.
 */

/** Value of each base64url character by code, or of each byte (64: not one; every byte above 127). */
const VALUE = new Uint8Array(256).fill(64);
for (let i = 0; i < 64; i++)
  VALUE['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i;

/**
 * Whether `text` is exactly `length` characters of the base64url alphabet, what the schemas'
 * `^[A-Za-z0-9_-]{n}$` patterns say (an identifier's shape; its unused bits are not checked).
 */
export function isB64urlText(text: string, length: number): boolean {
  if (text.length !== length) return false;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127 || VALUE[c] === 64) return false;
  }
  return true;
}

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
 * Decode the canonical base64url characters held as bytes in `src` from `start` to `end` (the
 * ASCII copy of a token, which the verification hot path makes anyway as its signing input) into
 * `target` at `offset`, without allocating. The number of bytes, or -1 when the characters are not
 * canonical base64url (a byte outside the alphabet, above 127 included; a length of 1 mod 4;
 * non-zero unused bits in a final partial group) or their bytes do not fit. Reading a typed array
 * is about twice as fast as reading a string's characters. `target` may be `src` itself at an
 * `offset` at or before `start`: every group is read before its bytes are written, behind it.
 */
export function decodeB64urlBytes(
  src: Uint8Array,
  start: number,
  end: number,
  target: Uint8Array,
  offset = 0,
): number {
  const n = end - start;
  const rest = n & 3;
  if (n < 0 || rest === 1 || end > src.length) return -1;
  const size = decodedLength(n);
  if (offset + size > target.length) return -1;
  let o = offset;
  let i = start;
  const full = end - rest;
  for (; i < full; i += 4) {
    const v0 = VALUE[src[i]];
    const v1 = VALUE[src[i + 1]];
    const v2 = VALUE[src[i + 2]];
    const v3 = VALUE[src[i + 3]];
    if (((v0 | v1 | v2 | v3) & 64) !== 0) return -1;
    target[o] = (v0 << 2) | (v1 >> 4);
    target[o + 1] = ((v1 & 15) << 4) | (v2 >> 2);
    target[o + 2] = ((v2 & 3) << 6) | v3;
    o += 3;
  }
  if (rest === 0) return size;
  const v0 = VALUE[src[i]];
  const v1 = VALUE[src[i + 1]];
  const v2 = rest === 3 ? VALUE[src[i + 2]] : 0; // an absent third character stands for zero bits
  if (((v0 | v1 | v2) & 64) !== 0) return -1;
  target[o] = (v0 << 2) | (v1 >> 4);
  if (rest === 2) return (v1 & 15) === 0 ? size : -1; // 4 unused bits
  target[o + 1] = ((v1 & 15) << 4) | (v2 >> 2);
  return (v2 & 3) === 0 ? size : -1; // 2 unused bits
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
