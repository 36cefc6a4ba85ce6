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

/** Middleware: add `cache-control` (unless set) and `x-content-type-options` to every response. */
export function securityHeaders(opts: SecurityHeadersOptions = {}): MiddlewareObj<unknown, HttpResponse> {
  const options = { cacheControl: 'no-store', ...opts };
  if (typeof options.cacheControl !== 'string' || options.cacheControl === '') {
    throw new TypeError('securityHeaders: cacheControl must be a non-empty string');
  }

  const addHeaders = (request: Request<unknown, HttpResponse>): void => {
    const response = request.response;
    if (response === null || typeof response !== 'object') return;
    const headers = { ...(response.headers ?? {}) };
    if (!hasHeader(headers, 'cache-control')) headers['cache-control'] = options.cacheControl;
    headers['x-content-type-options'] = 'nosniff';
    response.headers = headers;
  };
  const securityHeadersMiddlewareAfter = addHeaders;
  const securityHeadersMiddlewareOnError = addHeaders;

  return {
    name: 'securityHeaders',
    after: securityHeadersMiddlewareAfter,
    onError: securityHeadersMiddlewareOnError,
  };
}
