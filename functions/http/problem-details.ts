/**
 * `problemDetails()`: the one place an error becomes an HTTP response (RFC 9457,
 * `application/problem+json`). An `HcxError` answers with its status, stable code and public title
 * (all three from the error catalogue, functions/core/error-catalogue.ts);
 * an AWS SDK throttling or timeout error becomes the retryable `503 SERVICE_UNAVAILABLE`; anything
 * else becomes a generic `500 INTERNAL`. Never a stack trace, an internal message or echoed input.
 */
import type { Logger } from '../aws/lambda-log';
import type { MiddlewareObj, Request } from '@middy/core';
import { isRetryableDependencyError, toHcxError, type HcxError } from '../core/errors';

export { isRetryableDependencyError, toHcxError };
import { errorLogAttributes, logger as rootLogger } from '../aws/observability';
import type { HttpResponse } from './event';

/** Base of every problem `type` URI: `https://hcx.example/problems/<code in lower kebab case>`. */
export const PROBLEM_TYPE_BASE = 'https://hcx.example/problems/';

/** Options of {@link problemDetails}. */
export interface ProblemDetailsOptions {
  /** Where the error is logged (default: the root hcx logger). */
  readonly logger?: Logger;
  /** `Retry-After` seconds on a retryable 503 (default 1). */
  readonly retryAfterSeconds?: number;
}

const defaults: Required<ProblemDetailsOptions> = { logger: rootLogger, retryAfterSeconds: 1 };

/** `REQUEST_INVALID` -> `https://hcx.example/problems/request-invalid`. */
export function problemType(code: string): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-');
}

/** The RFC 9457 response for an `HcxError` (also used by the embedded adapter, e.g. for 404 routes). */
export function problemResponse(
  error: HcxError,
  retryAfterSeconds = defaults.retryAfterSeconds,
): HttpResponse {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  // A 503 or 429 the client may retry says when; an error may name its own delay.
  if (error.retryable && (error.status === 503 || error.status === 429)) {
    const own = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    headers['retry-after'] = String(typeof own === 'number' ? own : retryAfterSeconds);
  }
  const body: Record<string, unknown> = {
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    code: error.code,
  };
  // A 5xx never shows more than its title: its detail might describe our internals.
  if (error.detail !== undefined && error.status < 500) body.detail = error.detail;
  return { statusCode: error.status, headers, body: JSON.stringify(body) };
}

/** Middleware: map any error to an RFC 9457 response and log it without personal data. */
export function problemDetails(opts: ProblemDetailsOptions = {}): MiddlewareObj<unknown, HttpResponse> {
  const options = { ...defaults, ...opts };
  if (!Number.isInteger(options.retryAfterSeconds) || options.retryAfterSeconds < 0) {
    throw new TypeError('problemDetails: retryAfterSeconds must be a non-negative integer');
  }

  const problemDetailsMiddlewareOnError = (request: Request<unknown, HttpResponse>): void => {
    const error = toHcxError(request.error);
    const attrs = { ...errorLogAttributes(request.error), errorCode: error.code, status: error.status };
    if (error.status >= 500) options.logger.error('request failed', attrs);
    else options.logger.warn('request refused', attrs);
    request.response = problemResponse(error, options.retryAfterSeconds);
  };

  return { name: 'problemDetails', onError: problemDetailsMiddlewareOnError };
}
