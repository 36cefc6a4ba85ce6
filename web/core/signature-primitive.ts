/**
 * The checkpoint page's signature-verification primitive: functions/core/signature-primitive.ts on
 * WebCrypto. web/build.ts puts this module in place of the server's one, so the algorithm registry,
 * key intake, the strict JWS profile, the trust list and `verifyCode` run unchanged in the page.
 *
 * WebCrypto answers promises: `importPublicJwk` returns at once a handle whose CryptoKey is imported
 * when first needed, and `verifySignature` answers a promise (verifyCode awaits only those).
 */
import type { KeyMaterial } from '../../functions/core/algorithms';

/** A public key handle: the JWK and, once imported, its CryptoKey. */
export interface PublicKeyHandle {
  readonly jwk: KeyMaterial;
  key?: Promise<CryptoKey>;
}

function importParams(jwk: KeyMaterial): EcKeyImportParams | Algorithm {
  return jwk.kty === 'EC' ? { name: 'ECDSA', namedCurve: jwk.crv } : { name: 'Ed25519' };
}

function cryptoKey(handle: PublicKeyHandle): Promise<CryptoKey> {
  handle.key ??= crypto.subtle.importKey('jwk', { ...handle.jwk }, importParams(handle.jwk), false, [
    'verify',
  ]);
  return handle.key;
}

/** A handle on `jwk` (imported when first used: WebCrypto cannot import synchronously). */
export function importPublicJwk(jwk: KeyMaterial): PublicKeyHandle {
  return { jwk };
}

/** A handle on a key the registry verifies itself (SM2, in JavaScript): the JWK, never imported into WebCrypto. */
export function keyHandle(jwk: KeyMaterial): PublicKeyHandle {
  return { jwk };
}

/** Resolve when `jwk` imports; WebCrypto refuses a point off the curve (DataError). */
export async function checkImports(jwk: KeyMaterial): Promise<void> {
  await cryptoKey(importPublicJwk(jwk));
}

/** Verify `signature` over `data`: ECDSA P-256 with SHA-256 (R‖S), or Ed25519 (`digest` null). */
export async function verifySignature(
  digest: 'sha256' | null,
  handle: PublicKeyHandle,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const params: Algorithm | EcdsaParams =
    digest === null ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
  try {
    return await crypto.subtle.verify(params, await cryptoKey(handle), bytes(signature), bytes(data));
  } catch {
    // A key WebCrypto refused, or a signature it cannot parse, verifies nothing.
    return false;
  }
}

/** A copy on its own ArrayBuffer (WebCrypto takes BufferSource; Buffer polyfills share a pool). */
function bytes(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(u);
}
