/**
 * Every error hcx raises on purpose, in one module.
 *
 * An error has a stable `code` (callers and tests switch on it, never on the message), an HTTP
 * `status`, a public `title` that is safe to show to any caller, and an optional private `cause`
 * that only ever reaches the logs. The problem-details middleware is the one place that turns
 * these into RFC 9457 responses; anything that is not an `HcxError` becomes a generic 500.
 */

/** Reason codes of a verification result (CONTRACT.md), stable and tested by code. */
export const REASON_CODES = [
  'MALFORMED',
  'UNSUPPORTED_ALG',
  'FORBIDDEN_HEADER',
  'UNKNOWN_KEY',
  'KEY_NOT_FOR_ISSUER',
  'KEY_REVOKED',
  'KEY_NOT_VALID_AT_ISSUANCE',
  'SIGNATURE_INVALID',
  'CLAIMS_INVALID',
  'NOT_YET_VALID',
  'EXPIRED',
  'CODE_REVOKED',
  'HOLDER_MISMATCH',
  'ISSUER_SUSPENDED',
  'TRUST_LIST_STALE',
  'ISSUER_SUNSET',
  'FEDERATION_SUNSET',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** Base class: a stable code, an HTTP status, a public title, a private cause. */
export class HcxError extends Error {
  /** Stable machine-readable code, e.g. `REQUEST_INVALID`. */
  readonly code: string;
  /** HTTP status the problem-details middleware answers with. */
  readonly status: number;
  /** Public, caller-safe detail (never echoes input, never internal names). */
  readonly detail?: string;
  /** Whether a client may retry the same request later. */
  readonly retryable: boolean;

  constructor(
    code: string,
    status: number,
    title: string,
    options: { detail?: string; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.detail = options.detail;
    this.retryable = options.retryable ?? false;
  }
}

/** A JWS (code, trust list, signed request) failed a check; `reason` is the verification reason code. */
export class JwsRejected extends HcxError {
  readonly reason: ReasonCode;
  constructor(reason: ReasonCode, title: string, cause?: unknown) {
    super(reason, 400, title, { cause });
    this.reason = reason;
  }
}

/** A request body or parameter does not match its schema or limits. */
export class RequestInvalid extends HcxError {
  constructor(detail?: string, cause?: unknown) {
    super('REQUEST_INVALID', 400, 'The request is not valid', { detail, cause });
  }
}

/** A request body is larger than the route allows. */
export class RequestTooLarge extends HcxError {
  constructor() {
    super('REQUEST_TOO_LARGE', 413, 'The request body is too large');
  }
}

/** A request body has a content type the route does not take. */
export class MediaTypeUnsupported extends HcxError {
  constructor(detail?: string) {
    super('UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported content type', { detail });
  }
}

/** Every authentication failure looks the same to the caller; the reason is only logged. */
export class AuthenticationFailed extends HcxError {
  /** Precise reason, for the log only. */
  readonly reason: string;
  constructor(reason: string, cause?: unknown) {
    super('UNAUTHORIZED', 401, 'Authentication failed', { cause });
    this.reason = reason;
  }
}

/** The caller is authenticated but not allowed to do this. */
export class AccessDenied extends HcxError {
  constructor(detail?: string) {
    super('FORBIDDEN', 403, 'Not allowed', { detail });
  }
}

/** The named resource does not exist (or is not visible to the caller). */
export class ResourceNotFound extends HcxError {
  constructor(detail?: string) {
    super('NOT_FOUND', 404, 'Not found', { detail });
  }
}

/** A key offered for publication is refused at intake (shape, curve, lifetime, private member…). */
export class KeyRejected extends HcxError {
  /** Precise intake reason, e.g. `PRIVATE_MEMBER`, `NOT_ON_CURVE`, `SMALL_ORDER`. */
  readonly reason: string;
  constructor(reason: string, detail: string, cause?: unknown) {
    super('KEY_REJECTED', 400, 'The key is not acceptable', { detail, cause });
    this.reason = reason;
  }
}

/** The resource already exists (a key published twice, a province registered twice). */
export class ResourceConflict extends HcxError {
  constructor(code: string, title: string, detail?: string) {
    super(code, 409, title, { detail });
  }
}

/** A dependency (DynamoDB, KMS, the exchange) is throttled or down: try again later. */
export class ServiceUnavailable extends HcxError {
  constructor(cause?: unknown) {
    super('SERVICE_UNAVAILABLE', 503, 'Temporarily unavailable, retry later', { cause, retryable: true });
  }
}

/** A trust list or delta was refused (bad signature, rollback, fork, gap, too large, expired). */
export class TrustListRejected extends HcxError {
  /** Precise reason, e.g. `ROLLBACK`, `FORK`, `GAP`, `SIGNATURE_INVALID`, `TOO_LARGE`, `EXPIRED`. */
  readonly reason: string;
  constructor(reason: string, title: string, cause?: unknown) {
    super('TRUST_LIST_REJECTED', 502, title, { cause });
    this.reason = reason;
  }
}

/** A bug or misconfiguration on our side; never shows its message to the caller. */
export class InternalError extends HcxError {
  constructor(cause?: unknown) {
    super('INTERNAL', 500, 'Internal error', { cause });
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

/** True when `e` is an HcxError carrying `code`. */
export function hasCode(e: unknown, code: string): boolean {
  return e instanceof HcxError && e.code === code;
}
