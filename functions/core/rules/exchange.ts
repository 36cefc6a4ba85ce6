/**
 * The exchange's acceptance rules, one pure decision per command over the state read at the log
 * head before the write (functions/exchange/commands.ts reads that state, calls the decision, and
 * appends on `APPEND`). A decision answers `APPEND`, `UNCHANGED` (nothing to do: an idempotent
 * retry) or the catalogue code of its refusal, so every command's rules are tested without a table.
 */
import type { KeyReason } from '../error-catalogue';
import { LIMITS } from '../profiles';
import type { RetentionPolicy, TrustList } from '../schemas/types.gen';
import { sameRetention } from '../trustlist/province-signature';
import { keyRefused, refused } from './codes';
import { kidRefusal, type KidHolders } from './issuer';
import { beyondCodeLifetime, keyRevocationChanges, revocationLive } from './revocation';

// The caps below are also the schemas' maxItems: test/core/caps-schema.test.ts checks they agree.

/** Most provinces a federation holds (the trust-list schema's cap). */
export const MAX_PROVINCES = 64;
/**
 * Most live code revocations by jti one province may hold (codes without a status index: HCX1 codes,
 * docs/scale.md). With the segment cap it bounds the signed list: each row carries the province's
 * signed `code.revoke` (up to 691 bytes of JSON with a 128-character federation id), so 64 × 128 rows
 * take no more room than 64 × 1,000 unsigned rows did (5.7 MB).
 */
export const MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE = 128;
/** Most signing keys one province may have published (the trust-list schema's cap). */
export const MAX_KEYS_PER_PROVINCE = 256;
/** Most enrollment keys a province may have had (the trust-list schema's cap): 15 re-enrollments. */
export const MAX_ENROLLMENT_KEYS = 16;

/** What a decision reads of a province (undefined: no such province). */
export interface ProvinceState {
  readonly status: 'active' | 'suspended' | 'sunset';
  /** How many enrollment keys it has had. */
  readonly enrollments: number;
}

/** A decision: append the entry, nothing to do, or the refusal's code. */
export type Decision<R extends string> = 'APPEND' | 'UNCHANGED' | R;

type KidRefusal = 'KEY_ALREADY_KNOWN' | 'SHORT_KID_TAKEN';

/** `province.registered`: a new region, a free enrollment kid, room in the federation. */
export function decideRegistration(s: {
  readonly province: ProvinceState | undefined;
  readonly kid: string;
  readonly holders: KidHolders;
  readonly provinces: number;
}): Decision<'PROVINCE_EXISTS' | KidRefusal | 'FEDERATION_FULL'> {
  if (s.province) return refused('PROVINCE_EXISTS');
  const kid = kidRefusal(s.kid, s.holders);
  if (kid) return kid;
  return s.provinces >= MAX_PROVINCES ? refused('FEDERATION_FULL') : 'APPEND';
}

/** `province.suspended`: an existing province; suspending a suspended one changes nothing. */
export function decideSuspension(province: ProvinceState | undefined): Decision<'NOT_FOUND'> {
  if (!province) return refused('NOT_FOUND');
  return province.status === 'suspended' ? 'UNCHANGED' : 'APPEND';
}

/** `province.reenrolled`: a suspended province, a free kid, fewer than the most enrollment keys. */
export function decideReenrollment(s: {
  readonly province: ProvinceState | undefined;
  readonly kid: string;
  readonly holders: KidHolders;
}): Decision<'NOT_FOUND' | 'PROVINCE_NOT_SUSPENDED' | KidRefusal | 'TOO_MANY_ENROLLMENT_KEYS'> {
  if (!s.province) return refused('NOT_FOUND');
  if (s.province.status !== 'suspended') return refused('PROVINCE_NOT_SUSPENDED');
  const kid = kidRefusal(s.kid, s.holders);
  if (kid) return kid;
  return s.province.enrollments >= MAX_ENROLLMENT_KEYS ? refused('TOO_MANY_ENROLLMENT_KEYS') : 'APPEND';
}

/** `province.resumed`: a suspended province; an active one is unchanged, a sunset one is over. */
export function decideResumption(
  province: ProvinceState | undefined,
): Decision<'NOT_FOUND' | 'PROVINCE_SUNSET'> {
  if (!province) return refused('NOT_FOUND');
  if (province.status === 'active') return 'UNCHANGED';
  return province.status === 'sunset' ? refused('PROVINCE_SUNSET') : 'APPEND';
}

/**
 * `province.sunset` (signed by the province itself): an existing province; a sunset one is
 * `UNCHANGED` (the retry answers the first sunset's entry); a suspended one may not sign.
 */
export function decideProvinceSunset(
  province: ProvinceState | undefined,
): Decision<'NOT_FOUND' | 'PROVINCE_NOT_ACTIVE'> {
  if (!province) return refused('NOT_FOUND');
  if (province.status === 'sunset') return 'UNCHANGED';
  return province.status === 'active' ? 'APPEND' : 'PROVINCE_NOT_ACTIVE';
}

/** `province.retention` (signed by the province itself): only an active province states its policy. */
export function decideRetentionChange(province: ProvinceState | undefined): Decision<'PROVINCE_NOT_ACTIVE'> {
  return province?.status === 'active' ? 'APPEND' : 'PROVINCE_NOT_ACTIVE';
}

/**
 * A published key's validity window, checked on the request before anything is read: after its
 * start, no longer than the longest key lifetime, not starting in the past nor too far ahead.
 */
export function keyWindowRefusal(
  notBefore: number,
  notAfter: number,
  now: number,
):
  | Extract<KeyReason, 'BAD_VALIDITY' | 'LIFETIME_TOO_LONG' | 'NOT_BEFORE_IN_PAST' | 'NOT_BEFORE_TOO_FAR'>
  | undefined {
  if (notAfter <= notBefore) return keyRefused('BAD_VALIDITY');
  if (notAfter - notBefore > LIMITS.maxKeyLifetime) return keyRefused('LIFETIME_TOO_LONG');
  if (notBefore < now - LIMITS.clockSkew) return keyRefused('NOT_BEFORE_IN_PAST');
  if (notBefore > now + LIMITS.maxKeyLifetime) return keyRefused('NOT_BEFORE_TOO_FAR');
  return undefined;
}

/** `key.published`: an active province, a free kid, fewer than the most keys. */
export function decideKeyPublication(s: {
  readonly province: ProvinceState | undefined;
  readonly kid: string;
  readonly holders: KidHolders;
  readonly keys: number;
}): Decision<'PROVINCE_NOT_ACTIVE' | KidRefusal | 'TOO_MANY_KEYS'> {
  if (s.province?.status !== 'active') return 'PROVINCE_NOT_ACTIVE';
  const kid = kidRefusal(s.kid, s.holders);
  if (kid) return kid;
  return s.keys >= MAX_KEYS_PER_PROVINCE ? refused('TOO_MANY_KEYS') : 'APPEND';
}

/**
 * `key.revoked`: an active province revoking one of its own keys (another province's key is not
 * found), as {@link keyRevocationChanges} allows.
 */
export function decideKeyRevocation(s: {
  readonly province: ProvinceState | undefined;
  readonly key: { readonly status: string; readonly reason?: string } | undefined;
  readonly reason: string;
}): Decision<'PROVINCE_NOT_ACTIVE' | 'NOT_FOUND' | 'KEY_ALREADY_REVOKED'> {
  if (s.province?.status !== 'active') return 'PROVINCE_NOT_ACTIVE';
  if (!s.key) return refused('NOT_FOUND');
  return keyRevocationChanges(s.key, s.reason) ? 'APPEND' : refused('KEY_ALREADY_REVOKED');
}

/**
 * A `code.revoke` request as a whole, before anything is written: no code may claim to outlive the
 * longest code lifetime (`REQUEST_INVALID`), and the live revocations it adds must fit under the
 * province's cap (`CODE_REVOCATIONS_FULL`). `live` is how many of its codes are still live.
 */
export function codeRevocationsRefusal(
  codes: readonly { readonly exp: number }[],
  live: number,
  held: number,
  now: number,
): 'REQUEST_INVALID' | 'CODE_REVOCATIONS_FULL' | undefined {
  if (codes.some((c) => beyondCodeLifetime(c.exp, now))) return refused('REQUEST_INVALID');
  if (live > 0 && held + live > MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE)
    return refused('CODE_REVOCATIONS_FULL');
  return undefined;
}

/**
 * `code.revoked` for one code: an active province, a code still live (an expired one is counted,
 * not appended: `EXPIRED`), not revoked already (a retried request: `UNCHANGED`).
 */
export function decideCodeRevocation(s: {
  readonly province: ProvinceState | undefined;
  readonly exp: number;
  readonly revoked: boolean;
  readonly now: number;
}): Decision<'PROVINCE_NOT_ACTIVE' | 'EXPIRED'> {
  if (!revocationLive(s.exp, s.now)) return 'EXPIRED';
  if (s.province?.status !== 'active') return 'PROVINCE_NOT_ACTIVE';
  return s.revoked ? 'UNCHANGED' : 'APPEND';
}

/**
 * Whether a node states its configured retention policy to the exchange: `SKIP` without a list, or
 * when its province is not active in it or the federation is sunset; `UNCHANGED` when the list
 * already shows the policy (a province registered without one has `defaultPolicy`); else `PUBLISH`.
 */
export function decideRetentionPublication(
  list: Pick<TrustList, 'provinces' | 'sunset'> | undefined,
  region: string,
  policy: RetentionPolicy,
  defaultPolicy: RetentionPolicy,
): 'PUBLISH' | 'UNCHANGED' | 'SKIP' {
  const listed = list?.provinces.find((p) => p.region === region);
  if (!listed || listed.status !== 'active' || list?.sunset) return 'SKIP';
  return sameRetention(listed.retention ?? defaultPolicy, policy) ? 'UNCHANGED' : 'PUBLISH';
}
