/**
 * The exchange's acceptance rules, the part that reads state: who is authenticated, which province
 * is active, who holds a kid; and {@link enforce}, which turns a pure decision of
 * functions/core/rules/exchange.ts into the command's error.
 */
import type { JwsProfile } from '../core/jws/compact';
import type { ErrorCodeWithStatus } from '../core/error-catalogue';
import {
  AuthenticationFailed,
  HcxError,
  KeyRejected,
  ResourceConflict,
  ResourceNotFound,
} from '../core/errors';
import { shortKid } from '../core/keys';
import { logger } from '../aws/observability';
import { keyWindowRefusal, type Decision, type KidHolders, type ProvinceState } from '../core/rules';
import { verifySignedRequest, type SignedOperation, type VerifiedRequest } from '../core/signed-request';
import { catchUp, type ExchangeContext } from './append';
import type { ProvinceRecord } from './repository';

export {
  MAX_ENROLLMENT_KEYS,
  MAX_KEYS_PER_PROVINCE,
  MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE,
  MAX_PROVINCES,
} from '../core/rules';

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
 * What the federation holds under `kid` and under its short kid (the first 11 characters of its
 * thumbprint, what an HCX2 code names), read for the issuer-binding rule `kidRefusal`: any
 * province's enrollment or signing key (the kid index) and the federation's own key, for any role.
 */
export async function kidHolders(ctx: ExchangeContext, kid: string): Promise<KidHolders> {
  const [signer, owner, shortKidOwner] = await Promise.all([
    ctx.signer(),
    ctx.repository.kidOwner(kid),
    ctx.repository.shortKidOwner(shortKid(kid)),
  ]);
  return { federationKids: [signer.kid], owner, shortKidOwner };
}

/** The province as the acceptance decisions read it (undefined: no such province). */
export function provinceState(p: ProvinceRecord | undefined): ProvinceState | undefined {
  return p && { status: p.status, enrollments: p.enrollments };
}

/**
 * Throw the error of a refused decision (functions/core/rules/exchange.ts), with the problem detail
 * `details` gives for its code. Returns whether to append (false: nothing to do).
 */
export function enforce(
  decision: Decision<RefusalCode>,
  details: Partial<Record<RefusalCode, string>> = {},
): boolean {
  switch (decision) {
    case 'APPEND':
      return true;
    case 'UNCHANGED':
      return false;
    case 'NOT_FOUND':
      throw new ResourceNotFound(details.NOT_FOUND ?? 'No such province');
    case 'PROVINCE_NOT_ACTIVE':
      throw new AuthenticationFailed('PROVINCE_NOT_ACTIVE');
    case 'PROVINCE_SUNSET':
      throw new HcxError('PROVINCE_SUNSET');
    default:
      throw new ResourceConflict(decision, details[decision]);
  }
}

/** Refusal codes of the acceptance decisions (a 409 unless {@link enforce} says otherwise). */
export type RefusalCode =
  | 'NOT_FOUND'
  | 'PROVINCE_NOT_ACTIVE'
  | 'PROVINCE_SUNSET'
  | Exclude<ErrorCodeWithStatus<409>, 'PROVINCE_SUNSET'>;

/** The validity window of a published key (`keyWindowRefusal`), as a {@link KeyRejected}. */
export function checkKeyWindow(notBefore: number, notAfter: number, now: number): void {
  const reason = keyWindowRefusal(notBefore, notAfter, now);
  if (reason) throw new KeyRejected(reason, `${reason}: ${KEY_WINDOW_WHY[reason]}`);
}

const KEY_WINDOW_WHY = {
  BAD_VALIDITY: 'notAfter must be after notBefore',
  LIFETIME_TOO_LONG: 'the key lifetime is longer than the federation allows',
  NOT_BEFORE_IN_PAST: 'notBefore is in the past',
  NOT_BEFORE_TOO_FAR: 'notBefore is too far in the future',
} as const;
