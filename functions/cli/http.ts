/**
 * The CLI's HTTP client: one function over `fetch` that turns every failure into a
 * {@link ServiceError} saying what happened and what to try, and every problem-details answer into
 * its status, code and title (never the body we sent, never the token).
 */
import { parseStrictJson } from '../core/json';
import { ServiceError, UsageError } from './errors';
import { executeApiSigner, signRequest, sigv4RegionFor } from './sigv4';

/** Options of {@link call}. */
export interface CallOptions {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  /**
   * Bearer token (operator or province-internal routes of the embedded runtime). Without one, a
   * call to an AWS endpoint is signed with SigV4 from the AWS credential chain.
   */
  readonly token?: string;
  /** The route needs a caller identity: a token or an AWS endpoint to sign for, else a usage error. */
  readonly authenticated?: boolean;
  readonly body?: string;
  readonly contentType?: string;
  readonly accept?: string;
  /** Milliseconds before giving up (default 15 s). */
  readonly timeoutMs?: number;
}

/** A successful answer. */
export interface CallResult {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  /** The body parsed as JSON, when it is JSON. */
  readonly json?: unknown;
}

/** `base` + `path`, checking that `base` is an http(s) URL. */
export function endpoint(base: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError(`${JSON.stringify(base)} is not a URL (expected e.g. http://localhost:8711)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${base} is not an http(s) URL`);
  }
  return new URL(path.replace(/^\//, ''), url.href.endsWith('/') ? url.href : `${url.href}/`);
}

function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string } } | undefined)?.cause;
  if ((e as Error | undefined)?.name === 'TimeoutError') return 'no answer in time';
  return cause?.code ?? 'network error';
}

/** The error for a service that could not be reached (`e`: what `fetch` threw). */
export function unreachable(url: URL, e: unknown): ServiceError {
  return new ServiceError(
    `cannot reach ${url.origin} (${networkReason(e)}): check the URL and that the service is running ` +
      '(`npm start` for a local federation)',
  );
}

/** A body parsed as strict JSON when its media type is JSON (`…/json`, `…+json`), else undefined. */
export function jsonOf(contentType: string, text: string): unknown {
  if (!contentType.split(';')[0].trim().toLowerCase().endsWith('json')) return undefined;
  try {
    return parseStrictJson(text);
  } catch {
    return undefined;
  }
}

/** Call `base` + `path`; resolve with a 2xx/304 answer or throw {@link ServiceError}. */
export async function call(base: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const url = endpoint(base, path);
  let headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
  if (options.contentType) headers['content-type'] = options.contentType;
  const method = options.method ?? 'GET';
  const region = options.token ? undefined : sigv4RegionFor(url);
  if (options.token) {
    headers.authorization = `Bearer ${options.token}`;
  } else if (region) {
    try {
      headers = await signRequest(executeApiSigner(region), { method, url, headers, body: options.body });
    } catch (e) {
      throw new ServiceError(
        `cannot sign the request to ${url.origin} with SigV4 (${(e as Error).message}): configure AWS credentials ` +
          '(AWS_PROFILE, environment variables or a role) that may assume the caller role',
      );
    }
  } else if (options.authenticated) {
    throw new UsageError(
      `missing --token T for ${url.origin} (an AWS execute-api URL is signed with SigV4 from the AWS ` +
        'credential chain instead; HCX_AWS_REGION=<region> signs for a custom domain)',
    );
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      redirect: 'error',
    });
  } catch (e) {
    throw unreachable(url, e);
  }
  const text = await response.text();
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const json = jsonOf(contentType, text);
  if (response.ok || response.status === 304) return { status: response.status, contentType, text, json };
  throw problem(url, response.status, json);
}

/** The error for a service that answered `status` with the (parsed) body `json`, problem details or not. */
export function problem(url: URL, status: number, json: unknown): ServiceError {
  const p = (json ?? {}) as { title?: unknown; detail?: unknown; code?: unknown; retryable?: unknown };
  const code = typeof p.code === 'string' ? p.code : undefined;
  const title = typeof p.title === 'string' ? p.title : `HTTP ${status}`;
  const detail = typeof p.detail === 'string' ? `: ${p.detail}` : '';
  const hint =
    status === 401
      ? ' (check the token or the enrollment key: with `npm start`, pass --state-file)'
      : status === 404 && code === undefined
        ? ' (is this the right service? the exchange and the province nodes have different routes)'
        : p.retryable === true || status === 503
          ? ' (temporary: retry in a moment)'
          : '';
  return new ServiceError(
    `${url.origin}${url.pathname} answered ${status} ${title}${code ? ` [${code}]` : ''}${detail}${hint}`,
    status,
    code,
  );
}
