/**
 * Every error hcx raises on purpose, in one module.
 *
 * An error has a stable `code` (callers and tests switch on it, never on the message) of the closed
 * catalogue in ./error-catalogue.ts, which gives its HTTP `status` and a public `title` that is safe
 * to show to any caller; an optional public `detail`, and an optional private `cause` that only ever
 * reaches the logs. Reason-carrying errors (`TrustListRejected`, `KeyRejected`,
 * `AuthenticationFailed`, `JwsRejected`) take a reason of the catalogue's reason lists. The problem-details middleware is the one place that turns
 * these into RFC 9457 responses; anything that is not an `HcxError` becomes a generic 500.
 */

import {
  ERRORS,
  VERIFICATION_REASONS,
  type AuthenticationReason,
  type ErrorCode,
  type ErrorCodeWithStatus,
  type JwsReason,
  type KeyReason,
  type TrustListReason,
  type VerificationReason,
} from './error-catalogue';

export * from './error-catalogue';

/** Reason codes of a verification result (CONTRACT.md), stable and tested by code. */
export const REASON_CODES = Object.keys(VERIFICATION_REASONS) as VerificationReason[];
export type ReasonCode = VerificationReason;

/** What every hcx error takes besides its code. */
export interface HcxErrorOptions {
  /** Public, caller-safe detail (shown for a 4xx only). */
  readonly detail?: string;
  /** Private cause, for the logs only. */
  readonly cause?: unknown;
  /** Overrides the catalogue's retryability. */
  readonly retryable?: boolean;
}

/** Base class: a catalogue code, and the status and public title the catalogue gives it. */
export class HcxError extends Error {
  /** Stable machine-readable code, e.g. `REQUEST_INVALID` (error-catalogue.ts). */
  readonly code: ErrorCode;
  /** HTTP status the problem-details middleware answers with (from the catalogue). */
  readonly status: number;
  /** Public title (from the catalogue); `message` may say more, for logs and the CLI. */
  readonly title: string;
  /** Public, caller-safe detail (never echoes input, never internal names). */
  readonly detail?: string;
  /** Whether a client may retry the same request later. */
  readonly retryable: boolean;

  /** `message` defaults to the public title; a subclass may keep a more precise one. */
  constructor(code: ErrorCode, options: HcxErrorOptions = {}, message?: string) {
    const spec: { status: number; title: string; retryable?: boolean } = ERRORS[code];
    super(message ?? spec.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = spec.status;
    this.title = spec.title;
    this.detail = options.detail;
    this.retryable = options.retryable ?? spec.retryable ?? false;
  }
}

/**
 * A refusal that asks the caller to come back: answered with `Retry-After: retryAfterSeconds`
 * (functions/http/problem-details.ts reads it). Busy gates, lane leases and per-caller limits use it.
 */
export class RetryLater extends HcxError {
  readonly retryAfterSeconds: number;
  constructor(code: ErrorCode, retryAfterSeconds: number) {
    super(code);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A JWS (code, trust list, signed request) failed a check; `reason` is the verification reason code. */
export class JwsRejected extends HcxError {
  readonly reason: JwsReason;
  constructor(reason: JwsReason, message: string, cause?: unknown) {
    super(reason, { cause }, message);
    this.reason = reason;
  }
}

/** A request body or parameter does not match its schema or limits. */
export class RequestInvalid extends HcxError {
  constructor(detail?: string, cause?: unknown) {
    super('REQUEST_INVALID', { detail, cause });
  }
}

/** A request body is larger than the route allows. */
export class RequestTooLarge extends HcxError {
  constructor() {
    super('REQUEST_TOO_LARGE');
  }
}

/** A request body has a content type the route does not take. */
export class MediaTypeUnsupported extends HcxError {
  constructor(detail?: string) {
    super('UNSUPPORTED_MEDIA_TYPE', { detail });
  }
}

/** Every authentication failure looks the same to the caller; the reason is only logged. */
export class AuthenticationFailed extends HcxError {
  /** Precise reason, for the log only. */
  readonly reason: AuthenticationReason;
  constructor(reason: AuthenticationReason, cause?: unknown) {
    super('UNAUTHORIZED', { cause });
    this.reason = reason;
  }
}

/** The caller is authenticated but not allowed to do this. */
export class AccessDenied extends HcxError {
  constructor(detail?: string) {
    super('FORBIDDEN', { detail });
  }
}

/** The named resource does not exist (or is not visible to the caller). */
export class ResourceNotFound extends HcxError {
  constructor(detail?: string) {
    super('NOT_FOUND', { detail });
  }
}

/** A key offered for publication is refused at intake (shape, curve, lifetime, private member…). */
export class KeyRejected extends HcxError {
  /** Precise intake reason, e.g. `PRIVATE_MEMBER`, `NOT_ON_CURVE`, `SMALL_ORDER`. */
  readonly reason: KeyReason;
  constructor(reason: KeyReason, detail: string, cause?: unknown) {
    super('KEY_REJECTED', { detail, cause });
    this.reason = reason;
  }
}

/** The resource already exists or the state forbids the change (a key published twice…): a 409 code. */
export class ResourceConflict extends HcxError {
  constructor(code: ErrorCodeWithStatus<409>, detail?: string) {
    super(code, { detail });
  }
}

/** A dependency (DynamoDB, KMS, the exchange) is throttled or down: try again later. */
export class ServiceUnavailable extends HcxError {
  constructor(cause?: unknown) {
    super('SERVICE_UNAVAILABLE', { cause });
  }
}

/** A trust list or delta was refused (bad signature, rollback, fork, gap, too large, expired). */
export class TrustListRejected extends HcxError {
  /** Precise reason, e.g. `ROLLBACK`, `FORK`, `GAP`, `SIGNATURE_INVALID`, `TOO_LARGE`, `EXPIRED`. */
  readonly reason: TrustListReason;
  constructor(reason: TrustListReason, message: string, cause?: unknown) {
    super('TRUST_LIST_REJECTED', { cause }, message);
    this.reason = reason;
  }
}

/** A bug or misconfiguration on our side; never shows its message to the caller. */
export class InternalError extends HcxError {
  constructor(cause?: unknown) {
    super('INTERNAL', { cause });
  }
}

// AWS SDK error names (DynamoDB, KMS, the smithy runtime) that mean "try again later".
const RETRYABLE_SDK_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
  'TransactionConflictException',
]);
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** True when `e` is an AWS SDK (or network) failure a client should simply retry later. */
export function isRetryableDependencyError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { name?: unknown; code?: unknown; $retryable?: unknown; $fault?: unknown };
  if (typeof err.name === 'string' && RETRYABLE_SDK_ERRORS.has(err.name)) return true;
  if (typeof err.code === 'string' && RETRYABLE_NETWORK_CODES.has(err.code)) return true;
  if ('$metadata' in err && (err.$retryable !== undefined || err.$fault === 'server')) return true;
  return false;
}

/**
 * The `HcxError` an arbitrary thrown value stands for: itself when it is one, the retryable
 * `SERVICE_UNAVAILABLE` for an AWS SDK throttling, outage or network failure, `INTERNAL` otherwise.
 * The one mapping used by the problem-details middleware, the KMS signer and the services.
 */
export function toHcxError(e: unknown): HcxError {
  if (e instanceof HcxError) return e;
  if (isRetryableDependencyError(e)) return new ServiceUnavailable(e);
  return new InternalError(e);
}

/** True when `e` is an HcxError carrying `code`. */
export function hasCode(e: unknown, code: ErrorCode): boolean {
  return e instanceof HcxError && e.code === code;
}
