/**
 * `securityHeaders()`: every response, success or problem, says `x-content-type-options: nosniff`
 * and, unless the handler chose its own caching (the trust list sends an ETag and a max-age),
 * `cache-control: no-store`: answers may describe a traveller's code and must not sit in caches.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { HttpResponse } from './event';

/** Options of {@link securityHeaders}. */
export interface SecurityHeadersOptions {
  /** `cache-control` used when the handler set none (default `no-store`). */
  readonly cacheControl?: string;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

/**
 * `headers` with `cache-control` (unless set) and `x-content-type-options: nosniff`: the one
 * definition of these headers, used by the middleware and by the embedded gateway's own answers
 * (its 401, 404, 405, 413, 504).
 */
export function withSecurityHeaders(
  headers: Readonly<Record<string, string>> = {},
  cacheControl = 'no-store',
): Record<string, string> {
  const out = { ...headers };
  if (!hasHeader(out, 'cache-control')) out['cache-control'] = cacheControl;
  out['x-content-type-options'] = 'nosniff';
  return out;
}

/** Middleware: add `cache-control` (unless set) and `x-content-type-options` to every response. */
export function securityHeaders(opts: SecurityHeadersOptions = {}): MiddlewareObj<unknown, HttpResponse> {
  const options = { cacheControl: 'no-store', ...opts };
  if (typeof options.cacheControl !== 'string' || options.cacheControl === '') {
    throw new TypeError('securityHeaders: cacheControl must be a non-empty string');
  }

  const addHeaders = (request: Request<unknown, HttpResponse>): void => {
    const response = request.response;
    if (response === null || typeof response !== 'object') return;
    response.headers = withSecurityHeaders(response.headers ?? {}, options.cacheControl);
  };
  const securityHeadersMiddlewareAfter = addHeaders;
  const securityHeadersMiddlewareOnError = addHeaders;

  return {
    name: 'securityHeaders',
    after: securityHeadersMiddlewareAfter,
    onError: securityHeadersMiddlewareOnError,
  };
}
