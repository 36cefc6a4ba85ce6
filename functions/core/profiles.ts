/** The artefacts hcx signs, each with its own exact `typ` and size cap, and the federation's limits. */
import type { JwsProfile } from './jws/compact';

/** The prefix of a code string (the QR content is `HCX1:` + compact JWS). */
export const CODE_PREFIX = 'HCX1:';

/** A health code: well under 2 KB. */
export const CODE_PROFILE: JwsProfile = { typ: 'hcx-code+jws', maxLength: 2048, maxDepth: 3 };
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
