/**
 * Strict base64url (RFC 4648 §5, no padding) as JWS requires it.
 *
 * Node's decoder skips characters outside the alphabet, accepts `=` padding and ignores non-zero
 * unused bits in the last character, so many strings decode to the same bytes. Here a segment is
 * accepted only when it uses the alphabet, has a possible length, and re-encodes to exactly itself:
 * one value, one string.
 */

/** Decode a base64url segment, or return `undefined` when it is not canonical base64url. */
export function decodeB64url(segment: string): Buffer | undefined {
  const bytes = Buffer.from(segment, 'base64url');
  // Node skips characters outside the alphabet, takes `+`, `/` and `=` too, and ignores non-zero
  // unused bits in the last character; every one of those makes the re-encoding differ from the
  // input, so this one comparison is the whole strictness check.
  if (bytes.toString('base64url') !== segment) return undefined;
  return bytes;
}

/** Encode bytes (or a UTF-8 string) as base64url without padding. */
export function encodeB64url(data: Uint8Array | string): string {
  return (
    typeof data === 'string'
      ? Buffer.from(data, 'utf8')
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  ).toString('base64url');
}
