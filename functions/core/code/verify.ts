/**
 * `verifyCode`: the one function every verifier (province node, offline client, CLI) calls.
 *
 * It never throws on input and never answers `valid` unless the code is authentic (signature by a
 * key the registry holds for exactly the code's issuing province, valid when the code was issued and
 * not revoked), current (within its window, with a bounded clock skew), not revoked, and the
 * registry itself is not past its expiry. Failures are reported as stable reason codes.
 */
import { JwsRejected, type ReasonCode } from '../errors';
import { holderMatches } from '../holder';
import { parseCompactJws } from '../jws/compact';
import { CODE_PREFIX, CODE_PROFILE, LIMITS } from '../profiles';
import { revokedCodeKey, type RegisteredKey, type RegistrySnapshot } from '../registry';
import { isCodeClaims } from '../schemas/validators';
import type { CodeClaims, VerificationResult } from '../schemas/types.gen';

/** Options for {@link verifyCode}. */
export interface VerifyOptions {
  /** Current time, NumericDate seconds (defaults to the clock). */
  readonly now?: number;
  /** Tolerated clock skew in seconds (default 300). */
  readonly clockSkew?: number;
  /** The ID document presented at the checkpoint, to check the holder binding. */
  readonly holder?: { readonly idType: string; readonly idNumber: string };
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
};

function reason(code: ReasonCode): Reason {
  return { code, message: MESSAGES[code] };
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** Verify `code` against `registry`; always resolves to a CONTRACT verification result. */
export async function verifyCode(
  code: unknown,
  registry: RegistrySnapshot,
  options: VerifyOptions = {},
): Promise<VerificationResult> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const skew = options.clockSkew ?? LIMITS.clockSkew;
  const trustList = { version: registry.version, ageSeconds: Math.max(0, now - registry.issuedAt) };
  const stale = now > registry.expiresAt;

  const failed = (r: ReasonCode): VerificationResult => {
    // Without a current list an unknown key may simply be newer than the list: indeterminate.
    const indeterminate = stale && r === 'UNKNOWN_KEY';
    return {
      result: indeterminate ? 'indeterminate' : 'invalid',
      status: null,
      issuer: null,
      codeId: null,
      issuedAt: null,
      expiresAt: null,
      holder: null,
      reasons: stale ? [reason(r), reason('TRUST_LIST_STALE')] : [reason(r)],
      trustList,
    };
  };

  if (typeof code !== 'string' || !code.startsWith(CODE_PREFIX)) return failed('MALFORMED');
  let jws;
  try {
    jws = parseCompactJws(code.slice(CODE_PREFIX.length), CODE_PROFILE);
  } catch (e) {
    return failed(e instanceof JwsRejected ? e.reason : 'MALFORMED');
  }
  const key = registry.keys.get(jws.kid);
  if (!key) return failed('UNKNOWN_KEY');
  if (key.algorithm !== jws.alg) return failed('UNSUPPORTED_ALG');
  let verified = key.algorithm.verify(key.publicKey, jws.signingInput, jws.signature);
  // node:crypto answers at once (the server's hot path never waits); the page's WebCrypto, a promise
  if (typeof verified !== 'boolean') verified = await verified;
  if (!verified) return failed('SIGNATURE_INVALID');

  // Authentic from here on: the claims are the issuer's own words.
  const claims = jws.payload;
  if (!isCodeClaims(claims)) return failed('CLAIMS_INVALID');
  const reasons = claimReasons(claims, key, registry, now, skew);
  let bound: boolean | null = null;
  if (options.holder) {
    bound =
      options.holder.idType === claims.idt &&
      (await holderMatches(claims.hb, options.holder.idType, options.holder.idNumber));
    if (!bound) reasons.push('HOLDER_MISMATCH');
  }
  if (stale) reasons.push('TRUST_LIST_STALE');
  const province = registry.provinces.get(claims.iss);
  const result = reasons.length === 0 ? 'valid' : reasons.length === 1 && stale ? 'indeterminate' : 'invalid';
  return {
    result,
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

/** The reasons an authentic code is still not acceptable, in a stable order. */
export function claimReasons(
  claims: CodeClaims,
  key: RegisteredKey,
  registry: RegistrySnapshot,
  now: number,
  skew: number,
): ReasonCode[] {
  // Keys are looked up by kid but belong to exactly one province: (issuer, kid) must match.
  if (key.region !== claims.iss) return ['KEY_NOT_FOR_ISSUER'];
  const reasons: ReasonCode[] = [];
  if (claims.exp <= claims.iat || claims.exp - claims.iat > LIMITS.maxCodeLifetime)
    reasons.push('CLAIMS_INVALID');
  if (registry.provinces.get(claims.iss)?.status !== 'active') reasons.push('ISSUER_SUSPENDED');
  if (claims.iat < key.notBefore || claims.iat > key.notAfter) reasons.push('KEY_NOT_VALID_AT_ISSUANCE');
  if (key.status === 'revoked') {
    // A compromised key taints everything it ever signed; a superseded or retired one only what
    // it signed from its revocation on.
    const revokedAt = key.revokedAt ?? 0;
    if (key.reason === 'compromised' || key.reason === undefined || claims.iat >= revokedAt)
      reasons.push('KEY_REVOKED');
  }
  if (claims.iat > now + skew || (claims.nbf !== undefined && claims.nbf > now + skew))
    reasons.push('NOT_YET_VALID');
  if (claims.exp <= now - skew) reasons.push('EXPIRED');
  if (registry.revokedCodes.has(revokedCodeKey(claims.iss, claims.jti))) reasons.push('CODE_REVOKED');
  return reasons;
}
