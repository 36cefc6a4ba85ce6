/**
 * The validators of the schemas in schemas/ (the single source of truth).
 *
 * Every schema is compiled at build time (scripts/gen-validators.ts → validators.gen.ts, checked
 * in, drift-checked by `npm run check:validators`) with Ajv 2020-12 in strict mode: a Lambda neither
 * loads Ajv nor compiles a schema at cold start. Schemas are never read from input.
 */
import type { ErrorObject } from 'ajv/dist/2020';
import { RequestInvalid } from '../errors';
import { SCHEMA_IDS } from './documents';
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
import * as generated from './validators.gen';

export type * from './types.gen';
export { SCHEMA_DOCUMENTS, SCHEMA_IDS } from './documents';
export { isValidResidentId } from './formats';

/** A compiled validator: a type guard that leaves its errors on itself when it returns false. */
type ValidateFunction = ((x: unknown) => boolean) & { errors?: ErrorObject[] | null };

const byId = new Map<string, ValidateFunction>(
  Object.entries(SCHEMA_IDS).map(([key, id]) => [
    id,
    (generated as unknown as Record<string, ValidateFunction>)[key],
  ]),
);

function compiledFor(id: string): ValidateFunction {
  const v = byId.get(id);
  if (!v) throw new Error(`unknown schema id ${id}`);
  return v;
}

/** The validator for the schema `id` (a `SCHEMA_IDS` value: a `$id`, or `$id#/json/pointer`). */
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

const lazyGuard = validatorFor;

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
