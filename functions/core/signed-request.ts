/**
 * Signed requests from a province to the exchange (CONTRACT.md): a compact JWS of typ
 * `hcx-request+jws`, signed with the province's enrollment key, whose payload binds the audience
 * (federation id), the issue time, a one-time nonce, the operation and the province's region.
 *
 * Verification order matters. Everything that establishes authenticity comes first, and every
 * failure there throws {@link AuthenticationFailed} (an identical 401, the precise reason only in
 * the log). Only an authentic request learns anything about its content: then key intake
 * (`KeyRejected`) and the schema (`RequestInvalid`). The nonce is consumed last, by a conditional
 * write, so neither a forged nor a malformed request burns a nonce a genuine one may still use.
 */
import { algorithmByName, type KeyMaterial } from './algorithms';
import { AuthenticationFailed, JwsRejected, KeyRejected, type AuthenticationReason } from './errors';
import { parseCompactJws, type JwsProfile } from './jws/compact';
import { signCompactJws } from './jws/sign';
import { acceptPublicKey, type AcceptedKey } from './keys';
import { LIMITS, REQUEST_PROFILE } from './profiles';
import type { SignedRequestPayload } from './schemas/types.gen';
import { assertValid, isSignedRequestPayload } from './schemas/validators';
import type { Signer } from './signer';

/** The operations a signed request can carry. */
export type SignedOperation = SignedRequestPayload['op'];

/** Sign a request payload with a province's enrollment signer (client side: node, CLI, tests). */
export function signRequest(signer: Signer, payload: SignedRequestPayload): Promise<string> {
  return signCompactJws(signer, REQUEST_PROFILE.typ, payload);
}

/** A province's enrollment key as the exchange holds it. */
export interface EnrollmentKey {
  /** RFC 7638 thumbprint of the enrollment key. */
  readonly kid: string;
  readonly alg: string;
  readonly jwk: KeyMaterial;
  /** The province's status: a suspended province can no longer sign requests. */
  readonly status: 'active' | 'suspended' | 'sunset';
}

/** What {@link verifySignedRequest} needs from its caller. */
export interface VerifyRequestOptions {
  readonly federationId: string;
  /** The operation of the route the request was sent to. */
  readonly op: SignedOperation;
  /** The `{region}` of the route's path (already shape-checked). */
  readonly pathRegion: string;
  /** NumericDate seconds. */
  readonly now: number;
  /** The enrollment key of a registered province, or undefined. */
  enrollmentKeyFor(region: string): Promise<EnrollmentKey | undefined> | EnrollmentKey | undefined;
  /** Record `jti` as used until `expiresAt`; false when it was already used (conditional write). */
  consumeNonce(jti: string, expiresAt: number): Promise<boolean>;
  /** The JWS profile (default {@link REQUEST_PROFILE}; status batches have a larger cap). */
  readonly profile?: JwsProfile;
}

/** An authenticated, schema-valid request whose nonce is consumed. */
export interface VerifiedRequest {
  readonly payload: SignedRequestPayload;
  /** For `key.publish`: the key after intake (canonical members, thumbprint, algorithm). */
  readonly key?: AcceptedKey;
}

const ENVELOPE_JTI = /^[A-Za-z0-9_-]{22,64}$/;

/**
 * Key intake whose refusal names its reason in the public detail (`PRIVATE_MEMBER: ...`), so the
 * province learns exactly what to fix: it is authenticated by the time this runs.
 */
export async function intake(jwk: unknown, alg?: string): Promise<AcceptedKey> {
  try {
    return await acceptPublicKey(jwk, alg);
  } catch (e) {
    if (e instanceof KeyRejected) throw new KeyRejected(e.reason, `${e.reason}: ${e.detail ?? ''}`, e);
    throw e;
  }
}

function fail(reason: AuthenticationReason, cause?: unknown): never {
  throw new AuthenticationFailed(reason, cause);
}

/**
 * Verify a signed request sent to the route of `op` for `pathRegion`. Throws
 * {@link AuthenticationFailed} (reasons MALFORMED, UNKNOWN_PROVINCE, KID_MISMATCH, ALG_MISMATCH,
 * SIGNATURE_INVALID, WRONG_AUDIENCE, STALE, OP_MISMATCH, REGION_MISMATCH, PROVINCE_SUSPENDED,
 * BAD_NONCE, REPLAY), then `KeyRejected` or `RequestInvalid` for an authentic but unacceptable
 * request.
 */
export async function verifySignedRequest(
  jws: unknown,
  options: VerifyRequestOptions,
): Promise<VerifiedRequest> {
  let parsed;
  try {
    parsed = parseCompactJws(jws, options.profile ?? REQUEST_PROFILE);
  } catch (e) {
    if (e instanceof JwsRejected) fail(`JWS_${e.reason}`, e);
    throw e;
  }
  // The key is the path region's enrollment key; the payload region is checked against it below,
  // so signer, path and payload all name the same province.
  const enrollment = await options.enrollmentKeyFor(options.pathRegion);
  if (!enrollment) fail('UNKNOWN_PROVINCE');
  if (parsed.kid !== enrollment.kid) fail('KID_MISMATCH');
  const algorithm = algorithmByName(enrollment.alg);
  if (!algorithm || algorithm.name !== parsed.alg.name) fail('ALG_MISMATCH');
  if (
    !(await algorithm.verify(
      algorithm.importPublicKey(enrollment.jwk),
      parsed.signingInput,
      parsed.signature,
    ))
  ) {
    fail('SIGNATURE_INVALID');
  }
  const p = parsed.payload;
  if (p.aud !== options.federationId) fail('WRONG_AUDIENCE');
  if (
    typeof p.iat !== 'number' ||
    !Number.isInteger(p.iat) ||
    Math.abs(p.iat - options.now) > LIMITS.clockSkew
  ) {
    fail('STALE');
  }
  if (p.op !== options.op) fail('OP_MISMATCH');
  if (p.region !== options.pathRegion) fail('REGION_MISMATCH');
  // A province that ended its service may only repeat that (a retried sunset answers as before).
  if (enrollment.status !== 'active' && !(enrollment.status === 'sunset' && p.op === 'province.sunset'))
    fail('PROVINCE_SUSPENDED');
  if (typeof p.jti !== 'string' || !ENVELOPE_JTI.test(p.jti)) fail('BAD_NONCE');

  // Authentic from here on: the caller may learn why its request is not acceptable.
  let key: AcceptedKey | undefined;
  if (p.op === 'key.publish') key = await intake(p.key, typeof p.alg === 'string' ? p.alg : undefined);
  const payload = assertValid(isSignedRequestPayload, p);

  // Last: a request is "used" only once it passed every other check. It stays used for as long as
  // its iat could be accepted.
  if (!(await options.consumeNonce(payload.jti, payload.iat + LIMITS.clockSkew + 1))) fail('REPLAY');
  return key ? { payload, key } : { payload };
}
