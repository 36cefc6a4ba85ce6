/**
 * The validators of the schemas in schemas/ (the single source of truth), one named export each.
 *
 * Every schema is compiled at build time (scripts/gen-validators.ts → validators.gen.ts, checked
 * in, drift-checked by `npm run check:validators`) with Ajv 2020-12 in strict mode: a Lambda neither
 * loads Ajv nor compiles a schema at cold start. The generated module has no top-level side effect,
 * so a handler's bundle holds only the validators it imports (and those they reference). Schemas
 * are never read from input. Looking a validator up by its `$id` (tools, tests) is
 * `validators-by-id.ts`, which loads them all.
 */
import type { ErrorObject } from 'ajv/dist/2020';
import { RequestInvalid } from '../errors';
import type {
  CodeClaims,
  CodeHeader,
  DeletionReport,
  IssueRequest,
  LegacyCodeClaims,
  LogEntry,
  ProvinceReenrollment,
  ProvinceRegistration,
  PublicJwk,
  RetentionPolicy,
  SignedRequestPayload,
  TrustList,
  TrustListDelta,
  VerificationRequest,
} from './types.gen';
import * as generated from './validators.gen';

export type * from './types.gen';
export { SCHEMA_DOCUMENTS, SCHEMA_IDS } from './documents';
export { isValidResidentId } from './formats';

/** A compiled validator: a type guard that leaves its errors on itself when it returns false. */
export type Validator<T> = ((x: unknown) => x is T) & { errors?: ErrorObject[] | null };

/** A caller-safe description of a validation error: where and which rule, never the value. */
function describe(errors: readonly ErrorObject[]): string {
  const e = errors[0];
  if (!e) return 'invalid';
  // The discriminator's tag name comes from the schema (kty, op, type, status), never its value.
  const tag = e.keyword === 'discriminator' && typeof e.params.tag === 'string' ? `/${e.params.tag}` : '';
  const where = e.instancePath === '' && tag === '' ? '/' : `${e.instancePath}${tag}`;
  // missingProperty comes from the schema, not from the input, so it is safe to show.
  const missing =
    e.keyword === 'required' && typeof e.params.missingProperty === 'string'
      ? ` (${e.params.missingProperty})`
      : '';
  return `${where}: ${e.keyword}${missing}`;
}

/** Return `value` typed as T when `validator` accepts it; otherwise throw {@link RequestInvalid}. */
export function assertValid<T>(validator: Validator<T>, value: unknown, detailPrefix?: string): T {
  if (validator(value)) return value;
  const detail = describe(validator.errors ?? []);
  throw new RequestInvalid(detailPrefix ? `${detailPrefix}: ${detail}` : detail);
}

/** `validator` as a body check for `httpHandler`: the value typed, or {@link RequestInvalid}. */
export function requireValid<T>(validator: Validator<T>): (value: unknown) => T {
  return (value) => assertValid(validator, value);
}

// Plain references (no call), so that a bundler drops every one a handler does not use.

/** Shape of a code's payload (called on every verification). */
export const isCodeClaims = generated.codeClaims as unknown as Validator<CodeClaims>;
/** Shape of an HCX1 code's payload (HCX1 codes verify until they expire). */
export const isLegacyCodeClaims = generated.legacyCodeClaims as unknown as Validator<LegacyCodeClaims>;
/** Shape of a code's protected header (called on every verification). */
export const isCodeHeader = generated.codeHeader as unknown as Validator<CodeHeader>;
/** A public EC P-256 or Ed25519 JWK with no private or unknown member. */
export const isPublicJwk = generated.publicJwk as unknown as Validator<PublicJwk>;
/** Shape of a trust list payload. */
export const isTrustList = generated.trustList as unknown as Validator<TrustList>;
/** Shape of a trust-list delta payload. */
export const isTrustListDelta = generated.trustListDelta as unknown as Validator<TrustListDelta>;
/** Shape of one log entry (data checked per type). */
export const isLogEntry = generated.logEntry as unknown as Validator<LogEntry>;
/** Shape of a signed request payload (per op). */
export const isSignedRequestPayload = generated.signedRequest as unknown as Validator<SignedRequestPayload>;
/** Shape of a verification request body. */
export const isVerificationRequest =
  generated.verificationRequest as unknown as Validator<VerificationRequest>;
/** Shape of an issue request body (GB 11643 check on resident ID numbers included). */
export const isIssueRequest = generated.issueRequest as unknown as Validator<IssueRequest>;
/** Shape of a province registration body. */
export const isProvinceRegistration =
  generated.provinceRegistration as unknown as Validator<ProvinceRegistration>;
/** Shape of a province re-enrollment body (a new enrollment key). */
export const isProvinceReenrollment =
  generated.provinceReenrollment as unknown as Validator<ProvinceReenrollment>;
/** A province-level GB/T 2260 region code (path parameter `region`). */
export const isProvinceRegion = generated.provinceRegion as unknown as Validator<string>;
/** A key id: RFC 7638 thumbprint (path parameter `kid`). */
export const isKid = generated.kid as unknown as Validator<string>;
/** A code id, the code's `jti` (path parameter `codeId`). */
export const isCodeId = generated.codeId as unknown as Validator<string>;
/** A deletion report's payload (schemas/deletion-report.json). */
export const isDeletionReport = generated.deletionReport as unknown as Validator<DeletionReport>;
/** A retention policy (common.json#/$defs/retentionPolicy). */
export const isRetentionPolicy = generated.retentionPolicy as unknown as Validator<RetentionPolicy>;
