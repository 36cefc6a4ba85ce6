/**
 * Compiled validators for the schemas in schemas/ (the single source of truth).
 *
 * One Ajv 2020-12 instance in strict mode, built on first use rather than at import, and each
 * validator compiled once on first use and cached: a Lambda that only verifies codes pays for the
 * claims and header validators only. Schemas are bundled as JSON imports, never read from input.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { RequestInvalid } from '../errors';
import type {
  CodeClaims,
  CodeHeader,
  IssueRequest,
  LogEntry,
  ProvinceRegistration,
  PublicJwk,
  SignedRequestPayload,
  TrustList,
  TrustListDelta,
  VerificationRequest,
} from './types.gen';
import codeClaimsSchema from '../../../schemas/code-claims.json';
import codeHeaderSchema from '../../../schemas/code-header.json';
import commonSchema from '../../../schemas/common.json';
import federationInfoSchema from '../../../schemas/federation-info.json';
import idDocumentSchema from '../../../schemas/id-document.json';
import issueRequestSchema from '../../../schemas/issue-request.json';
import issueResponseSchema from '../../../schemas/issue-response.json';
import jwksSchema from '../../../schemas/jwks.json';
import logEntrySchema from '../../../schemas/log-entry.json';
import logPageSchema from '../../../schemas/log-page.json';
import nationalitySchema from '../../../schemas/nationality.json';
import problemDetailsSchema from '../../../schemas/problem-details.json';
import provinceListSchema from '../../../schemas/province-list.json';
import provinceRegistrationSchema from '../../../schemas/province-registration.json';
import provinceSchema from '../../../schemas/province.json';
import publicJwkSchema from '../../../schemas/public-jwk.json';
import regionSchema from '../../../schemas/region.json';
import sexSchema from '../../../schemas/sex.json';
import signedRequestSchema from '../../../schemas/signed-request.json';
import trustListDeltaSchema from '../../../schemas/trust-list-delta.json';
import trustListSchema from '../../../schemas/trust-list.json';
import verificationRequestSchema from '../../../schemas/verification-request.json';
import verificationResultSchema from '../../../schemas/verification-result.json';

export type * from './types.gen';

const BASE = 'https://hcx.example/schemas/';

/** `$id` of every schema (and of the fragments worth validating on their own, e.g. path parameters). */
export const SCHEMA_IDS = {
  common: `${BASE}common.json`,
  region: `${BASE}region.json`,
  provinceRegion: `${BASE}region.json#/$defs/province`,
  sex: `${BASE}sex.json`,
  nationality: `${BASE}nationality.json`,
  idDocument: `${BASE}id-document.json`,
  idType: `${BASE}id-document.json#/$defs/idType`,
  kid: `${BASE}common.json#/$defs/thumbprint`,
  codeId: `${BASE}common.json#/$defs/codeId`,
  issueRequest: `${BASE}issue-request.json`,
  issueResponse: `${BASE}issue-response.json`,
  codeHeader: `${BASE}code-header.json`,
  codeClaims: `${BASE}code-claims.json`,
  verificationRequest: `${BASE}verification-request.json`,
  verificationResult: `${BASE}verification-result.json`,
  publicJwk: `${BASE}public-jwk.json`,
  jwks: `${BASE}jwks.json`,
  trustList: `${BASE}trust-list.json`,
  trustListDelta: `${BASE}trust-list-delta.json`,
  logEntry: `${BASE}log-entry.json`,
  logPage: `${BASE}log-page.json`,
  signedRequest: `${BASE}signed-request.json`,
  keyPublishRequest: `${BASE}signed-request.json#/$defs/keyPublish`,
  keyRevokeRequest: `${BASE}signed-request.json#/$defs/keyRevoke`,
  codeRevokeRequest: `${BASE}signed-request.json#/$defs/codeRevoke`,
  provinceRegistration: `${BASE}province-registration.json`,
  province: `${BASE}province.json`,
  provinceList: `${BASE}province-list.json`,
  federationInfo: `${BASE}federation-info.json`,
  problemDetails: `${BASE}problem-details.json`,
} as const;

/** Every schema document, in file-name order (for the OpenAPI builder and the tests). */
export const SCHEMA_DOCUMENTS: readonly Readonly<Record<string, unknown>>[] = [
  codeClaimsSchema,
  codeHeaderSchema,
  commonSchema,
  federationInfoSchema,
  idDocumentSchema,
  issueRequestSchema,
  issueResponseSchema,
  jwksSchema,
  logEntrySchema,
  logPageSchema,
  nationalitySchema,
  problemDetailsSchema,
  provinceListSchema,
  provinceRegistrationSchema,
  provinceSchema,
  publicJwkSchema,
  regionSchema,
  sexSchema,
  signedRequestSchema,
  trustListDeltaSchema,
  trustListSchema,
  verificationRequestSchema,
  verificationResultSchema,
];

/** ISO 7064 MOD 11-2 weights of the first 17 characters of a GB 11643 number (2^(17-i) mod 11). */
const GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const GB11643_CHECK = '10X98765432';
const GB11643_SHAPE = /^[1-9][0-9]{16}[0-9Xx]$/;

/**
 * True when `idNumber` is a well-formed GB 11643 resident identity number: 18 characters, a real
 * birth date (1800-01-01 to 2099-12-31) in positions 7-14, and the MOD 11-2 check character
 * (`X` for 10; a lower-case `x` is accepted too, the holder binding upper-cases it).
 */
export function isValidResidentId(idNumber: string): boolean {
  if (typeof idNumber !== 'string' || !GB11643_SHAPE.test(idNumber)) return false;
  const year = Number(idNumber.slice(6, 10));
  const month = Number(idNumber.slice(10, 12));
  const day = Number(idNumber.slice(12, 14));
  if (year < 1800 || year > 2099 || month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one; UTC avoids any local-time quirk.
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (idNumber.charCodeAt(i) - 48) * GB11643_WEIGHTS[i];
  return idNumber[17].toUpperCase() === GB11643_CHECK[sum % 11];
}

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

/** The shared Ajv instance, created with every schema added (not compiled) on first use. */
function instance(): Ajv2020 {
  if (ajv) return ajv;
  const a = new Ajv2020({
    strict: true,
    // oneOf over PublicJwk kty, LogEntry type, SignedRequestPayload op and TrustListKey status.
    discriminator: true,
    allErrors: false,
    // The schemas are meta-validated by the test suite; skipping it here keeps cold start short.
    validateSchema: false,
  });
  addFormats(a);
  a.addFormat('gb11643', { type: 'string', validate: isValidResidentId });
  a.addSchema(SCHEMA_DOCUMENTS as Record<string, unknown>[]);
  ajv = a;
  return a;
}

function compiledFor(id: string): ValidateFunction {
  let v = compiled.get(id);
  if (!v) {
    v = instance().getSchema(id);
    if (!v) throw new Error(`unknown schema id ${id}`);
    compiled.set(id, v);
  }
  return v;
}

/** The validator for the schema `id` (a `$id`, or `$id#/json/pointer`), compiled on first use and cached. */
export function validatorFor<T>(id: string): (x: unknown) => x is T {
  return compiledFor(id) as unknown as (x: unknown) => x is T;
}

/** Errors of the last failed validation against `id` (empty after a success). For logs and tests only. */
export function lastErrors(id: string): readonly ErrorObject[] {
  return compiledFor(id).errors ?? [];
}

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

/** Return `value` typed as T when it matches schema `id`; otherwise throw {@link RequestInvalid}. */
export function assertValid<T>(id: string, value: unknown, detailPrefix?: string): T {
  const v = compiledFor(id);
  if (v(value)) return value as T;
  const detail = describe(v.errors ?? []);
  throw new RequestInvalid(detailPrefix ? `${detailPrefix}: ${detail}` : detail);
}

/** A type guard for schema `id` that compiles on its first call, not at import. */
function lazyGuard<T>(id: string): (x: unknown) => x is T {
  let v: ((x: unknown) => x is T) | undefined;
  return (x: unknown): x is T => (v ??= validatorFor<T>(id))(x);
}

/** Shape of a code's payload (called on every verification). */
export const isCodeClaims = lazyGuard<CodeClaims>(SCHEMA_IDS.codeClaims);
/** Shape of a code's protected header (called on every verification). */
export const isCodeHeader = lazyGuard<CodeHeader>(SCHEMA_IDS.codeHeader);
/** A public EC P-256 or Ed25519 JWK with no private or unknown member. */
export const isPublicJwk = lazyGuard<PublicJwk>(SCHEMA_IDS.publicJwk);
/** Shape of a trust list payload. */
export const isTrustList = lazyGuard<TrustList>(SCHEMA_IDS.trustList);
/** Shape of a trust-list delta payload. */
export const isTrustListDelta = lazyGuard<TrustListDelta>(SCHEMA_IDS.trustListDelta);
/** Shape of one log entry (data checked per type). */
export const isLogEntry = lazyGuard<LogEntry>(SCHEMA_IDS.logEntry);
/** Shape of a signed request payload (per op). */
export const isSignedRequestPayload = lazyGuard<SignedRequestPayload>(SCHEMA_IDS.signedRequest);
/** Shape of a verification request body. */
export const isVerificationRequest = lazyGuard<VerificationRequest>(SCHEMA_IDS.verificationRequest);
/** Shape of an issue request body (GB 11643 check on resident ID numbers included). */
export const isIssueRequest = lazyGuard<IssueRequest>(SCHEMA_IDS.issueRequest);
/** Shape of a province registration body. */
export const isProvinceRegistration = lazyGuard<ProvinceRegistration>(SCHEMA_IDS.provinceRegistration);
