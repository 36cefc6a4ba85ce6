/**
 * `verifyCode`: the one function every verifier (province node, offline client, CLI) calls.
 *
 * It never throws on input and never answers `valid` unless the code is authentic (signature by a
 * key the registry holds for exactly the code's issuing province, valid when the code was issued and
 * not revoked), current (within its window, with a bounded clock skew), not revoked, and the
 * registry itself is not past its expiry. Failures are reported as stable reason codes.
 */
import { JwsRejected, type ReasonCode } from '../errors';
import { holderBindingFromClaim, holderMatches, type HolderBinding } from '../holder';
import { parseCompactJws, type ParsedJws } from '../jws/compact';
import { CODE_PREFIX, CODE_PROFILE, LEGACY_CODE_PREFIX, LEGACY_CODE_PROFILE, LIMITS } from '../profiles';
import type { RegisteredKey, RegistrySnapshot } from '../registry';
import { isLegacyCodeClaims } from '../schemas/validators';
import type { CodeClaims, LegacyCodeClaims, VerificationResult } from '../schemas/types.gen';
import { isCodeClaimsShape } from './claims';
import { isQrForm, jwsFromDigits } from './format';
import { keyBelongsToIssuer } from '../rules/issuer';
import { isTrustListStale, trustListAge } from '../rules/lists';
import { revocationCovers } from '../rules/revocation';
import { isoTime } from '../time';

/** Re-exported for callers that format a verification result's times the same way. */
export { isoTime };

/** Options for {@link verifyCode}. */
export interface VerifyOptions {
  /** Current time, NumericDate seconds (defaults to the clock). */
  readonly now?: number;
  /** Tolerated clock skew in seconds (default 300). */
  readonly clockSkew?: number;
  /** The ID document presented at the checkpoint, to check the holder binding. */
  readonly holder?: { readonly idType: string; readonly idNumber: string };
  /**
   * How the binding is checked (default {@link holderMatches}, one scrypt derivation); a node passes
   * a bounded one (holder-gate.ts). Called only for a code that is otherwise valid.
   */
  readonly holderCheck?: (binding: HolderBinding, idType: string, idNumber: string) => Promise<boolean>;
}

type Reason = VerificationResult['reasons'][number];

const MESSAGES: Record<ReasonCode, string> = {
  MALFORMED: 'The code is not a well-formed hcx code.',
  UNSUPPORTED_ALG: 'The code uses an algorithm the federation does not accept.',
  FORBIDDEN_HEADER: 'The code carries a forbidden header.',
  UNKNOWN_KEY: 'The signing key is not in the trust list.',
  KEY_NOT_FOR_ISSUER: 'The signing key does not belong to the issuing province.',
  KEY_REVOKED: 'The signing key was revoked.',
  KEY_NOT_VALID_AT_ISSUANCE: 'The signing key was not valid when the code was issued.',
  SIGNATURE_INVALID: 'The signature does not verify.',
  CLAIMS_INVALID: 'The code content is not valid.',
  NOT_YET_VALID: 'The code is not valid yet.',
  EXPIRED: 'The code has expired.',
  CODE_REVOKED: 'The code was revoked by its issuer.',
  HOLDER_MISMATCH: 'The presented ID document does not match the code.',
  ISSUER_SUSPENDED: 'The issuing province is suspended.',
  TRUST_LIST_STALE: 'The trust list is past its expiry; the result cannot be determined.',
  ISSUER_SUNSET:
    'The issuing province has ended its health-code service (sunset); its codes are no longer valid.',
  FEDERATION_SUNSET: 'The federation has ended (sunset); no code of it is valid any more.',
};

function reason(code: ReasonCode): Reason {
  return { code, message: MESSAGES[code] };
}

type TrustListInfo = VerificationResult['trustList'];

/** The result of a code that is not authentic or not readable (no claim of it is reported). */
function failed(r: ReasonCode, stale: boolean, trustList: TrustListInfo): VerificationResult {
  // Without a current list an unknown key may simply be newer than the list: indeterminate.
  return {
    result: stale && r === 'UNKNOWN_KEY' ? 'indeterminate' : 'invalid',
    status: null,
    issuer: null,
    codeId: null,
    issuedAt: null,
    expiresAt: null,
    holder: null,
    reasons: stale ? [reason(r), reason('TRUST_LIST_STALE')] : [reason(r)],
    trustList,
  };
}

/**
 * The compact JWS of an HCX2 QR-form code (`HCX2:` + digits), `undefined` when it is not one.
 * Over-long input is cut off before any copy.
 */
function qrFormJws(code: string): string | undefined {
  if (code.length - CODE_PREFIX.length > 2 * CODE_PROFILE.maxLength) return undefined;
  return jwsFromDigits(code, CODE_PREFIX.length);
}

/**
 * What {@link verifyCode} returns: the result itself when nothing had to wait (node:crypto answers
 * at once and no holder check was asked for: every scan on a node's hot path), a promise of it
 * otherwise (WebCrypto in the browser, the holder check's scrypt). Either way `await` reads it.
 */
export type Verification = VerificationResult | Promise<VerificationResult>;

/**
 * Verify `code` (an HCX2 code in text or QR form, or an HCX1 code until those expire) against
 * `registry`; always gives a CONTRACT verification result ({@link Verification}: await it).
 */
export function verifyCode(
  code: unknown,
  registry: RegistrySnapshot,
  options: VerifyOptions = {},
): Verification {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const trustList = { version: registry.version, ageSeconds: trustListAge(registry, now) };
  const stale = isTrustListStale(registry, now);

  // After the federation's sunset no code is valid, whatever it is: say so before anything else.
  if (registry.list.sunset) return { ...failed('FEDERATION_SUNSET', stale, trustList), result: 'invalid' };
  if (typeof code !== 'string') return failed('MALFORMED', stale, trustList);
  // The prefix routes to a format; the format's own `typ` (signed) must then match, so a token of
  // one format never reads as the other. A code in text form is parsed in place, after its prefix.
  const legacy = code.startsWith(LEGACY_CODE_PREFIX);
  let token: string | undefined = code;
  let start = legacy ? LEGACY_CODE_PREFIX.length : CODE_PREFIX.length;
  if (!legacy) {
    if (!code.startsWith(CODE_PREFIX)) token = undefined;
    else if (isQrForm(code)) {
      token = qrFormJws(code);
      start = 0;
    }
  }
  if (token === undefined) return failed('MALFORMED', stale, trustList);
  let jws: ParsedJws;
  try {
    jws = parseCompactJws(token, legacy ? LEGACY_CODE_PROFILE : CODE_PROFILE, start);
  } catch (e) {
    return failed(e instanceof JwsRejected ? e.reason : 'MALFORMED', stale, trustList);
  }
  const key = (legacy ? registry.keys : registry.shortKeys).get(jws.kid);
  if (!key) return failed('UNKNOWN_KEY', stale, trustList);
  if (key.algorithm !== jws.alg) return failed('UNSUPPORTED_ALG', stale, trustList);
  const verified = key.algorithm.verify(key.publicKey, jws.signingInput, jws.signature);
  // node:crypto answers at once (the server's hot path never waits); the page's WebCrypto, a promise
  if (typeof verified !== 'boolean')
    return verified.then((ok) =>
      authentic(ok, legacy, jws.payload, key, registry, options, now, stale, trustList),
    );
  return authentic(verified, legacy, jws.payload, key, registry, options, now, stale, trustList);
}

/** The rest of {@link verifyCode} once the signature is checked (`ok`). */
function authentic(
  ok: boolean,
  legacy: boolean,
  payload: Record<string, unknown>,
  key: RegisteredKey,
  registry: RegistrySnapshot,
  options: VerifyOptions,
  now: number,
  stale: boolean,
  trustList: TrustListInfo,
): Verification {
  if (!ok) return failed('SIGNATURE_INVALID', stale, trustList);
  // Authentic from here on: the claims are the issuer's own words.
  if (legacy ? !isLegacyCodeClaims(payload) : !isCodeClaimsShape(payload))
    return failed('CLAIMS_INVALID', stale, trustList);
  const claims = payload as unknown as CodeClaims | LegacyCodeClaims;
  const reasons = claimReasons(claims, key, registry, now, options.clockSkew ?? LIMITS.clockSkew);
  // The holder check (scrypt) runs only for a code that is otherwise valid (signature, key, time,
  // revocation, issuer state): an invalid code gets no answer about its holder (`bound: null`), so
  // the route is no oracle for revoked or expired codes and no free CPU sink. A stale list alone
  // does not stop it (the result is then `indeterminate`, and the checkpoint still learns whether
  // the document matches).
  if (options.holder && reasons.length === 0)
    return withHolder(claims, reasons, options, registry, stale, trustList);
  return result(claims, reasons, null, registry, stale, trustList);
}

/** {@link authentic} for a code that is otherwise valid and a presented ID document. */
async function withHolder(
  claims: CodeClaims | LegacyCodeClaims,
  reasons: ReasonCode[],
  options: VerifyOptions,
  registry: RegistrySnapshot,
  stale: boolean,
  trustList: TrustListInfo,
): Promise<VerificationResult> {
  const holder = options.holder!;
  const binding: HolderBinding | undefined =
    typeof claims.hb === 'string' ? holderBindingFromClaim(claims.hb) : claims.hb;
  const bound =
    binding !== undefined &&
    holder.idType === claims.idt &&
    (await (options.holderCheck ?? holderMatches)(binding, holder.idType, holder.idNumber));
  if (!bound) reasons.push('HOLDER_MISMATCH');
  return result(claims, reasons, bound, registry, stale, trustList);
}

/** The result of an authentic code, from the reasons it is not acceptable (none: valid). */
function result(
  claims: CodeClaims | LegacyCodeClaims,
  reasons: ReasonCode[],
  bound: boolean | null,
  registry: RegistrySnapshot,
  stale: boolean,
  trustList: TrustListInfo,
): VerificationResult {
  if (stale) reasons.push('TRUST_LIST_STALE');
  const province = registry.provinces.get(claims.iss);
  return {
    result: reasons.length === 0 ? 'valid' : reasons.length === 1 && stale ? 'indeterminate' : 'invalid',
    status: claims.st,
    issuer: province ? { region: province.region, name: province.name } : null,
    codeId: claims.jti,
    issuedAt: isoTime(claims.iat),
    expiresAt: isoTime(claims.exp),
    holder: { maskedName: claims.hn, idType: claims.idt, bound },
    reasons: reasons.map(reason),
    trustList,
  };
}

/** The claims every code format has (`si` only in HCX2), all {@link claimReasons} reads. */
type CommonClaims = Pick<CodeClaims, 'iss' | 'jti' | 'iat' | 'exp' | 'nbf' | 'si'>;

/** The reasons an authentic code is still not acceptable, in a stable order. */
export function claimReasons(
  claims: CommonClaims,
  key: RegisteredKey,
  registry: RegistrySnapshot,
  now: number,
  skew: number,
): ReasonCode[] {
  // Keys are looked up by kid but belong to exactly one province: (issuer, kid) must match.
  if (!keyBelongsToIssuer(key, claims.iss)) return ['KEY_NOT_FOR_ISSUER'];
  const reasons: ReasonCode[] = [];
  if (claims.exp <= claims.iat || claims.exp - claims.iat > LIMITS.maxCodeLifetime)
    reasons.push('CLAIMS_INVALID');
  const issuerStatus = registry.provinces.get(claims.iss)?.status;
  if (issuerStatus === 'sunset') reasons.push('ISSUER_SUNSET');
  else if (issuerStatus !== 'active') reasons.push('ISSUER_SUSPENDED');
  if (claims.iat < key.notBefore || claims.iat > key.notAfter) reasons.push('KEY_NOT_VALID_AT_ISSUANCE');
  // A compromised key taints everything it ever signed; a superseded or retired one only what it
  // signed from its revocation on.
  if (revocationCovers(key, claims.iat)) reasons.push('KEY_REVOKED');
  if (claims.iat > now + skew || (claims.nbf !== undefined && claims.nbf > now + skew))
    reasons.push('NOT_YET_VALID');
  if (claims.exp <= now - skew) reasons.push('EXPIRED');
  if (
    registry.revokedCodes.get(claims.iss)?.has(claims.jti) ||
    (claims.si !== undefined && registry.status.isRevoked(claims.iss, claims.si))
  )
    reasons.push('CODE_REVOKED');
  return reasons;
}
