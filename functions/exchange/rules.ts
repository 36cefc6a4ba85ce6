/**
 * The exchange's acceptance rules that read state: who is authenticated, which province is active,
 * which kid is free, and the caps every command checks.
 */
import type { JwsProfile } from '../core/jws/compact';
import { AuthenticationFailed, KeyRejected, ResourceConflict } from '../core/errors';
import { shortKid } from '../core/keys';
import { logger } from '../aws/observability';
import { LIMITS } from '../core/profiles';
import { verifySignedRequest, type SignedOperation, type VerifiedRequest } from '../core/signed-request';
import { catchUp, type ExchangeContext } from './append';
import type { ProvinceRecord } from './repository';

/** Most provinces a federation holds (the trust-list schema's cap). */
export const MAX_PROVINCES = 64;
/**
 * Most live code revocations by jti one province may hold (codes without a status index: those
 * issued before status indices, docs/scale.md). With the segment cap it bounds the signed list.
 */
export const MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE = 1000;
/** Most signing keys one province may have published (the trust-list schema's cap). */
export const MAX_KEYS_PER_PROVINCE = 256;

/** Most enrollment keys a province may have had (the trust-list schema's cap): 15 re-enrollments. */
export const MAX_ENROLLMENT_KEYS = 16;

/** Verify a signed request against the registry (see verifySignedRequest), logging why it failed. */
export async function authenticate(
  ctx: ExchangeContext,
  jws: unknown,
  op: SignedOperation,
  pathRegion: string,
  profile?: JwsProfile,
): Promise<VerifiedRequest> {
  try {
    return await verifySignedRequest(jws, {
      ...(profile ? { profile } : {}),
      federationId: ctx.federationId,
      op,
      pathRegion,
      now: ctx.now(),
      enrollmentKeyFor: async (region) => {
        await catchUp(ctx.repository);
        const p = await ctx.repository.getProvince(region);
        return p && { kid: p.enrollmentKid, alg: p.enrollmentAlg, jwk: p.enrollmentJwk, status: p.status };
      },
      consumeNonce: (jti, expiresAt) => ctx.repository.consumeNonce(jti, expiresAt),
    });
  } catch (e) {
    if (e instanceof AuthenticationFailed)
      logger.warn('signed request refused', { reason: e.reason, op, region: pathRegion });
    throw e;
  }
}

export async function activeProvince(ctx: ExchangeContext, region: string): Promise<ProvinceRecord> {
  const province = await ctx.repository.getProvince(region);
  // Authentication already established the province; it may have been suspended since.
  if (!province || province.status !== 'active') throw new AuthenticationFailed('PROVINCE_NOT_ACTIVE');
  return province;
}

/**
 * Refuse a key the federation already knows (`KEY_ALREADY_KNOWN`): any province's enrollment or
 * signing key (the kid index) or a key of the federation itself, for any role (kids are RFC 7638
 * thumbprints, so the same key material always has the same kid); or one whose short kid (the
 * first 11 characters of its thumbprint, what an HCX2 code names) another key already has
 * (`SHORT_KID_TAKEN`): every short kid in the trust list then names exactly one key and province.
 * Enrollment keys count too, so one check covers both kinds.
 */
export async function refuseKnownKid(ctx: ExchangeContext, kid: string): Promise<void> {
  const federationKid = (await ctx.signer()).kid;
  if (kid === federationKid || (await ctx.repository.kidOwner(kid))) {
    throw new ResourceConflict('KEY_ALREADY_KNOWN');
  }
  const owner = await ctx.repository.shortKidOwner(shortKid(kid));
  if (owner && owner.kid !== kid) {
    throw new ResourceConflict('SHORT_KID_TAKEN');
  }
}

/** The validity window rules of a published key (pure). */
export function checkKeyWindow(notBefore: number, notAfter: number, now: number): void {
  if (notAfter <= notBefore)
    throw new KeyRejected('BAD_VALIDITY', 'BAD_VALIDITY: notAfter must be after notBefore');
  if (notAfter - notBefore > LIMITS.maxKeyLifetime) {
    throw new KeyRejected(
      'LIFETIME_TOO_LONG',
      'LIFETIME_TOO_LONG: the key lifetime is longer than the federation allows',
    );
  }
  if (notBefore < now - LIMITS.clockSkew)
    throw new KeyRejected('NOT_BEFORE_IN_PAST', 'NOT_BEFORE_IN_PAST: notBefore is in the past');
  if (notBefore > now + LIMITS.maxKeyLifetime) {
    throw new KeyRejected('NOT_BEFORE_TOO_FAR', 'NOT_BEFORE_TOO_FAR: notBefore is too far in the future');
  }
}
