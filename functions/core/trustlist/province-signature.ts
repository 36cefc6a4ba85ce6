/**
 * Self-authenticating log entries: an entry a province asked for (`key.published`, `key.revoked`,
 * `code.revoked`, `province.sunset`, `province.retention`) carries the province's own signed
 * request, verbatim. Whoever holds the log or the trust list
 * checks that request against the enrollment key the province's `province.registered` entry named,
 * so a key the province never asked for cannot reach a verifier, whoever wrote it into the log (the
 * exchange operator, a database administrator, anyone with the table).
 *
 * Pure and synchronous: the exchange's fold, `applyDelta`, `openTrustList` and every caller of
 * those (sync, the replica audit, the CLI) run the very same checks. A later entry type that a
 * province signs (a revocation batch, a sunset) calls {@link verifyProvinceRequest} the same way.
 */
import { algorithmByName, type KeyMaterial, type SignatureAlgorithm } from '../algorithms';
import type { PublicKeyHandle } from '../signature-primitive';
import { JwsRejected, TrustListRejected, type TrustListReason } from '../errors';
import { parseCompactJws } from '../jws/compact';
import { thumbprintOf } from '../keys';
import { LIMITS, REQUEST_PROFILE } from '../profiles';
import type {
  CodeRevokeRequest,
  KeyPublishRequest,
  KeyRevokeRequest,
  ProvinceRetentionRequest,
  PublicJwk,
  RetentionPolicy,
  SignedRequestPayload,
  TrustListEnrollmentKey,
} from '../schemas/types.gen';
import { isSignedRequestPayload } from '../schemas/validators';

/** The reason every holder gives for an entry the province did not sign. */
export const PROVINCE_SIGNATURE_INVALID = 'PROVINCE_SIGNATURE_INVALID' satisfies TrustListReason;

function refuse(title: string, cause?: unknown): never {
  throw new TrustListRejected(PROVINCE_SIGNATURE_INVALID, title, cause);
}

/** What the request must be: of this federation, for this region and operation. */
export interface ProvinceRequestExpectation {
  readonly federation: string;
  readonly region: string;
  readonly op: SignedRequestPayload['op'];
  /** The province's enrollment keys with their validity (the trust list's `enrollmentKeys`). */
  readonly enrollmentKeys: readonly TrustListEnrollmentKey[];
}

// An enrollment key (the list's JWK object) → its imported handle: a list verifies many requests of
// one province (its keys, and one per code revoked by id), and an SM2 key verifying more than once
// gets its precomputed table (algorithms.ts) only when the same handle serves each time.
const imported = new WeakMap<object, { algorithm: SignatureAlgorithm; handle: PublicKeyHandle }>();

function importedKey(jwk: PublicJwk, algorithm: SignatureAlgorithm): PublicKeyHandle {
  const held = imported.get(jwk);
  if (held?.algorithm === algorithm) return held.handle;
  const {
    kid: _kid,
    alg: _alg,
    use: _use,
    key_ops: _ops,
    ...material
  } = jwk as PublicJwk & { kid?: string; alg?: string; use?: string; key_ops?: string[] };
  const handle = algorithm.importPublicKey(material as KeyMaterial);
  imported.set(jwk, { algorithm, handle });
  return handle;
}

/**
 * Verify `jws` as the province's signed request: profile, signed by one of its enrollment keys
 * (chosen by `kid`, algorithm matching) with an `iat` inside that key's validity (clock skew
 * allowed), audience, region, operation, schema. Returns the payload; throws
 * `TrustListRejected(PROVINCE_SIGNATURE_INVALID)`. Freshness and nonces are the exchange's business
 * at the time of the request, not the holder's: a log keeps requests for years.
 */
export function verifyProvinceRequest(
  jws: unknown,
  expect: ProvinceRequestExpectation,
): SignedRequestPayload | Promise<SignedRequestPayload> {
  let parsed;
  try {
    parsed = parseCompactJws(jws, REQUEST_PROFILE);
  } catch (e) {
    if (e instanceof JwsRejected) refuse('A log entry does not carry a well-formed province request', e);
    throw e;
  }
  const enrollment = expect.enrollmentKeys.find((k) => k.key.kid === parsed.kid);
  if (!enrollment) refuse('A log entry is not signed by an enrollment key of its province');
  const algorithm = algorithmByName(enrollment.key.alg);
  if (!algorithm || algorithm.name !== parsed.alg.name) refuse('A province request uses another algorithm');
  let verified: boolean | Promise<boolean>;
  try {
    verified = algorithm.verify(
      importedKey(enrollment.key, algorithm),
      parsed.signingInput,
      parsed.signature,
    );
  } catch (e) {
    refuse('A province enrollment key is not usable', e);
  }
  const finish = (ok: boolean): SignedRequestPayload => {
    if (!ok) refuse('A province request signature does not verify');
    const p = parsed.payload;
    if (!isSignedRequestPayload(p)) refuse('A province request is not well formed');
    if (p.aud !== expect.federation || p.region !== expect.region || p.op !== expect.op) {
      refuse('A province request was made for another federation, province or operation');
    }
    if (
      p.iat < enrollment.from - LIMITS.clockSkew ||
      p.iat > (enrollment.until ?? Infinity) + LIMITS.clockSkew
    ) {
      refuse('A province request was signed outside its enrollment key’s validity');
    }
    return p;
  };
  // Synchronous on the server (node:crypto); a promise in the checkpoint page (WebCrypto).
  return typeof verified === 'boolean'
    ? finish(verified)
    : verified.then(finish, (e: unknown) => refuse('A province enrollment key is not usable', e));
}

/** `value`, or `then(value)` once it settles: synchronous when the primitive is. */
function andThen<T, U>(value: T | Promise<T>, then: (v: T) => U): U | Promise<U> {
  return value instanceof Promise ? value.then(then) : then(value);
}

/**
 * The result of a check that must be synchronous (the fold): a pending one (an asynchronous
 * primitive) is refused rather than trusted.
 */
export function settled<T>(value: T | Promise<T>): T {
  if (value instanceof Promise) {
    void value.catch(() => undefined);
    refuse('A province request cannot be checked synchronously here');
  }
  return value;
}

/** A published key as an entry or a trust list states it. */
export interface StatedKey {
  readonly kid: string;
  readonly alg: string;
  readonly jwk: KeyMaterial | PublicJwk;
  readonly notBefore: number;
  readonly notAfter: number;
}

function sameMaterial(a: KeyMaterial | PublicJwk, b: unknown): boolean {
  if (typeof b !== 'object' || b === null) return false;
  const other = b as Record<string, unknown>;
  const mine = a as unknown as Record<string, unknown>;
  return ['kty', 'crv', 'x', 'y'].every((m) => mine[m] === other[m]);
}

/**
 * Check that `request` is the province's signed `key.publish` of exactly `key`: same key material
 * (and `kid` its RFC 7638 thumbprint), algorithm and validity window.
 */
export function checkKeyPublication(
  request: unknown,
  expect: Omit<ProvinceRequestExpectation, 'op'>,
  key: StatedKey,
): void | Promise<void> {
  return andThen(verifyProvinceRequest(request, { ...expect, op: 'key.publish' }), (payload) => {
    const p = payload as KeyPublishRequest;
    let kid: string | undefined;
    try {
      kid = thumbprintOf(key.jwk as KeyMaterial);
    } catch {
      kid = undefined;
    }
    if (
      kid !== key.kid ||
      !sameMaterial(key.jwk, p.key) ||
      p.alg !== key.alg ||
      p.notBefore !== key.notBefore ||
      p.notAfter !== key.notAfter
    ) {
      refuse('A published key is not the key its province signed for');
    }
  });
}

/** Check that `request` is the province's signed `key.revoke` of exactly this revocation. */
export function checkKeyRevocation(
  request: unknown,
  expect: Omit<ProvinceRequestExpectation, 'op'>,
  revocation: { readonly kid: string; readonly reason: string; readonly revokedAt: number },
): void | Promise<void> {
  return andThen(verifyProvinceRequest(request, { ...expect, op: 'key.revoke' }), (payload) => {
    const p = payload as KeyRevokeRequest;
    if (p.kid !== revocation.kid || p.reason !== revocation.reason || p.revokedAt !== revocation.revokedAt) {
      refuse('A key revocation is not the one its province signed');
    }
  });
}

/**
 * Check that `request` is the province's signed `code.revoke` of exactly this revocation: its one
 * code is `jti` with this `exp`, and `revokedAt` is its `iat` (the exchange accepted that `iat` only
 * within the clock skew of its own clock), so no part of the row can be changed after the province
 * signed.
 */
export function checkCodeRevocation(
  request: unknown,
  expect: Omit<ProvinceRequestExpectation, 'op'>,
  revocation: { readonly jti: string; readonly exp: number; readonly revokedAt: number },
): void | Promise<void> {
  return andThen(verifyProvinceRequest(request, { ...expect, op: 'code.revoke' }), (payload) => {
    const { codes, iat } = payload as CodeRevokeRequest;
    if (
      codes.length !== 1 ||
      codes[0].jti !== revocation.jti ||
      codes[0].exp !== revocation.exp ||
      iat !== revocation.revokedAt
    ) {
      refuse('A code revocation is not the one its province signed');
    }
  });
}

/**
 * Whether `request` claims to be a `province.sunset` request (not verified: the caller then verifies
 * it with {@link verifyProvinceRequest}). A key retired by its province's sunset carries that request
 * as its `revokeRequest`; a key revoked on its own carries a `key.revoke`.
 */
export function isSunsetRequest(request: unknown): boolean {
  try {
    const { payload } = parseCompactJws(request, REQUEST_PROFILE);
    return (payload as { op?: unknown }).op === 'province.sunset';
  } catch {
    return false;
  }
}

/** Two retention policies are the same (every member). */
export function sameRetention(a: RetentionPolicy | undefined, b: RetentionPolicy | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.maxCodeLifetimeSeconds === b.maxCodeLifetimeSeconds &&
    a.keepAfterExpirySeconds === b.keepAfterExpirySeconds &&
    a.holderErasure === b.holderErasure
  );
}

/**
 * Check that `request` is the province's signed `province.retention` stating exactly `retention`
 * (a `province.retention` entry, or a trust-list province's `retentionRequest`).
 */
export function checkRetentionStatement(
  request: unknown,
  expect: Omit<ProvinceRequestExpectation, 'op'>,
  retention: RetentionPolicy | undefined,
): void | Promise<void> {
  return andThen(verifyProvinceRequest(request, { ...expect, op: 'province.retention' }), (payload) => {
    if (!sameRetention((payload as ProvinceRetentionRequest).retention, retention)) {
      refuse('A retention policy differs from the one its province signed');
    }
  });
}
