/**
 * The signature-verification primitive under the algorithm registry: on the server node:crypto,
 * synchronous, so the verification hot path never waits for a promise. The checkpoint page's build
 * (web/build.ts) replaces this one module with `web/core/signature-primitive.ts`, the same three
 * functions on WebCrypto, which answer promises; everything above it (the algorithm registry, the
 * strict JWS profile, key intake, the trust list and `verifyCode`'s rules) is the same code in both.
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { KeyMaterial } from './algorithms';

/** An imported public key, opaque to the callers (a `KeyObject` here, a WebCrypto key in the page). */
export type PublicKeyHandle = KeyObject;

/** Import a public JWK; throws when the key is unusable (for EC, a point off the curve). */
export function importPublicJwk(jwk: KeyMaterial): PublicKeyHandle {
  return createPublicKey({ key: { ...jwk }, format: 'jwk' });
}

/**
 * A handle on a key that the registry verifies itself, above this primitive (SM2, in JavaScript:
 * algorithms.ts): it only names the key. Here a `KeyObject` of its SubjectPublicKeyInfo `spki`
 * (OpenSSL parses the point once more); the page's primitive keeps just the JWK.
 */
export function keyHandle(_jwk: KeyMaterial, spki: Uint8Array): PublicKeyHandle {
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

/** Resolve when `jwk` imports, reject when it does not (the page can only tell asynchronously). */
export async function checkImports(jwk: KeyMaterial): Promise<void> {
  importPublicJwk(jwk);
}

/**
 * Verify `signature` over `data`: ECDSA with SHA-256 and an R‖S signature (`digest` 'sha256'), or
 * pure EdDSA (`digest` null). A boolean here; the page's primitive answers a promise of one.
 */
export function verifySignature(
  digest: 'sha256' | null,
  key: PublicKeyHandle,
  data: Uint8Array,
  signature: Uint8Array,
): boolean | Promise<boolean> {
  return digest === null
    ? cryptoVerify(null, data, key, signature)
    : cryptoVerify(digest, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
}
