/**
 * Revocation semantics: what a key revocation covers, how a key's revocation may change, and how
 * long a code revocation matters. Pure.
 */
import { LIMITS } from '../profiles';

/** Why a key was revoked (trust-list schema). */
export type KeyRevocationReason = 'superseded' | 'retired' | 'compromised';

/**
 * Whether a key's revocation covers a code issued at `iat`: a compromised key taints everything it
 * ever signed (so does a revocation with no reason or time, read conservatively); a superseded or
 * retired one only what it signed from its revocation on.
 */
export function revocationCovers(
  key: { readonly status: string; readonly reason?: string; readonly revokedAt?: number },
  iat: number,
): boolean {
  if (key.status !== 'revoked') return false;
  return key.reason === 'compromised' || key.reason === undefined || iat >= (key.revokedAt ?? 0);
}

/**
 * Whether a `key.revoke` with reason `requested` changes a key: an active key may be revoked for
 * any reason; a revoked key changes once more only to become compromised (a superseded or retired
 * key stolen later), never the other way and never twice. `false`: `KEY_ALREADY_REVOKED`.
 */
export function keyRevocationChanges(
  key: { readonly status: string; readonly reason?: string },
  requested: string,
): boolean {
  if (key.status === 'active') return true;
  return key.reason !== 'compromised' && requested === 'compromised';
}

/**
 * A code revocation (or a status segment) is live, kept in every list and counted against the
 * caps, while the code can still verify somewhere: until `exp` plus the clock skew has passed.
 */
export function revocationLive(exp: number, now: number): boolean {
  return exp + LIMITS.clockSkew >= now;
}

/**
 * A revocation (or status segment) claiming a code expires later than any code can live is
 * refused: it would pin an entry in every trust list for longer than any code can verify.
 */
export function beyondCodeLifetime(exp: number, now: number): boolean {
  return exp > now + LIMITS.maxCodeLifetime + LIMITS.clockSkew;
}
