/**
 * The Ed25519 point checks of key intake, apart from algorithms.ts so that only a process that
 * meets an Ed25519 key loads (and a bundle only tree-shakes in) the curve arithmetic it needs.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { KeyRejected } from './errors';

/**
 * Throw {@link KeyRejected} unless the 32 bytes `x` are a canonical encoding (RFC 8032 strict) of
 * a point of the prime-order subgroup.
 */
export function checkEd25519Point(x: Uint8Array): void {
  let point;
  try {
    // Strict RFC 8032 decoding: y < p and no "x = 0 with the sign bit set" (non-canonical forms).
    point = ed25519.Point.fromBytes(x, false);
  } catch (cause) {
    throw new KeyRejected('NON_CANONICAL', 'the Ed25519 key is not a canonical point encoding', cause);
  }
  // Node accepts small-order keys, for which a forged signature verifies on any message; keys
  // made by key generation are always in the prime-order subgroup, so refuse any torsion part.
  if (point.isSmallOrder()) throw new KeyRejected('SMALL_ORDER', 'the Ed25519 key has small order');
  if (!point.isTorsionFree())
    throw new KeyRejected('MIXED_ORDER', 'the Ed25519 key is not in the prime-order subgroup');
}
