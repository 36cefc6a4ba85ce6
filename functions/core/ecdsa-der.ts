/**
 * ECDSA signatures in DER (what AWS KMS returns) to JOSE's fixed-length R‖S form.
 *
 * The parser is strict DER, not BER: a short-form SEQUENCE length that is exactly the content, two
 * INTEGERs with minimal encodings (no superfluous leading zero, no negative value), nothing after
 * them. An encoding that is merely BER-valid is refused, because one signature must have exactly
 * one byte form (SECURITY.md: malleable encodings turn one token into many strings).
 */
import { HcxError } from './errors';

const SEQUENCE = 0x30;
const INTEGER = 0x02;

function refuse(detail: string): never {
  throw new HcxError('SIGNATURE_ENCODING_INVALID', { detail });
}

/** Read one minimal non-negative DER INTEGER at `at`; returns its magnitude and the next offset. */
function readInteger(der: Uint8Array, at: number, size: number): { value: Uint8Array; next: number } {
  if (der[at] !== INTEGER) refuse('expected an INTEGER');
  const length = der[at + 1];
  // Short-form lengths only: a P-256 INTEGER is at most 33 bytes, so any long form is non-minimal.
  if (length === undefined || length === 0 || length >= 0x80) refuse('bad INTEGER length');
  const start = at + 2;
  const end = start + length;
  if (end > der.length) refuse('truncated INTEGER');
  const first = der[start];
  if (first & 0x80) refuse('negative INTEGER');
  if (first === 0 && length > 1 && !(der[start + 1] & 0x80)) refuse('non-minimal INTEGER');
  let value = der.subarray(start, end);
  if (value[0] === 0 && value.length > 1) value = value.subarray(1);
  if (value.length > size) refuse('INTEGER too large');
  return { value, next: end };
}

/**
 * Convert a strict-DER ECDSA signature to R‖S, each left-padded to `size` bytes (32 for P-256).
 * Throws `HcxError` `SIGNATURE_ENCODING_INVALID` for anything that is not strict DER.
 */
export function derToJose(der: Uint8Array, size = 32): Uint8Array {
  if (der.length < 8 || der[0] !== SEQUENCE) refuse('expected a SEQUENCE');
  const length = der[1];
  if (length >= 0x80) refuse('non-minimal SEQUENCE length');
  if (length !== der.length - 2) refuse('SEQUENCE length does not match');
  const r = readInteger(der, 2, size);
  const s = readInteger(der, r.next, size);
  if (s.next !== der.length) refuse('trailing bytes');
  const out = new Uint8Array(2 * size);
  out.set(r.value, size - r.value.length);
  out.set(s.value, 2 * size - s.value.length);
  return out;
}
