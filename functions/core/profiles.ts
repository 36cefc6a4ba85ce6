/** The artefacts hcx signs, each with its own exact `typ` and size cap, and the federation's limits. */
import type { JwsProfile } from './jws/compact';

/**
 * The prefix of a code string of the current format (HCX2): `HCX2:` + compact JWS, or in a QR
 * symbol `HCX2:` + the JWS as digits (docs/code-format.md). The signed marker is the `typ`.
 */
export const CODE_PREFIX = 'HCX2:';
/** The prefix of the first code format (HCX1), still verified until its codes expire. */
export const LEGACY_CODE_PREFIX = 'HCX1:';

/**
 * The formats a province can issue codes in: `HCX2` (the default) or `HCX1`, for tools written for
 * the first format (docs/code-format.md#issuing-hcx1-codes-compatibility-option).
 */
export const CODE_FORMATS = ['HCX2', 'HCX1'] as const;
/** A format a province can issue codes in. */
export type CodeFormat = (typeof CODE_FORMATS)[number];
/** The format codes are issued in unless a province is configured otherwise. */
export const DEFAULT_CODE_FORMAT: CodeFormat = 'HCX2';

/** True when `value` names a format codes can be issued in. */
export function isCodeFormat(value: unknown): value is CodeFormat {
  return (CODE_FORMATS as readonly unknown[]).includes(value);
}

/**
 * A health code (HCX2): `typ` `hcx2` (the signed format marker), a short kid (the first
 * {@link SHORT_KID_LENGTH} characters of the thumbprint), a flat payload.
 */
export const CODE_PROFILE: JwsProfile = {
  typ: 'hcx2',
  maxLength: 2048,
  maxDepth: 1,
  kid: /^[A-Za-z0-9_-]{11}$/,
};
/** An HCX1 code: `typ` `hcx-code+jws`, the full thumbprint as kid, `hb` nested one level. */
export const LEGACY_CODE_PROFILE: JwsProfile = { typ: 'hcx-code+jws', maxLength: 2048, maxDepth: 3 };
/** Length of the short kid an HCX2 code carries: 11 base64url characters of the thumbprint (66 bits). */
export const SHORT_KID_LENGTH = 11;
/**
 * The full signed trust list. The exchange's caps bound it below this (docs/scale.md: 64 provinces
 * x 312 status segments and 1 000 revocations by code id each), so a list it signs always opens.
 */
export const TRUST_LIST_PROFILE: JwsProfile = {
  typ: 'hcx-trust-list+jws',
  maxLength: 16 * 1024 * 1024,
  maxDepth: 8,
};
/** A signed trust-list delta (its own type, so a delta never passes as a full list). */
export const TRUST_LIST_DELTA_PROFILE: JwsProfile = {
  typ: 'hcx-trust-list-delta+jws',
  maxLength: 4 * 1024 * 1024,
  maxDepth: 8,
};
/** A province's signed request to the exchange. */
export const REQUEST_PROFILE: JwsProfile = { typ: 'hcx-request+jws', maxLength: 16 * 1024, maxDepth: 4 };

/**
 * A province's signed `status.publish` (a revocation batch of up to 32 status segments): the same
 * `typ` as every signed request, a larger cap (32 segments of at most ~128 KiB deflated each fit).
 */
export const STATUS_REQUEST_PROFILE: JwsProfile = {
  typ: 'hcx-request+jws',
  maxLength: 5 * 1024 * 1024,
  maxDepth: 4,
};

/** Federation-wide limits (seconds). */
export const LIMITS = {
  /** Default lifetime of a code. */
  defaultCodeLifetime: 86_400,
  /** Longest lifetime of a code (7 days). */
  maxCodeLifetime: 604_800,
  /** Clock skew tolerated between issuer, verifier and exchange. */
  clockSkew: 300,
  /** Longest lifetime of a published signing key (400 days). */
  maxKeyLifetime: 400 * 86_400,
  /** Lifetime of a signed trust list or delta. */
  trustListLifetime: 24 * 3600,
} as const;
