/**
 * The province node's HTTP client for the exchange: the trust list (full or delta) with a download
 * cap, and signed requests (key publication and revocation, code revocation) with the province's
 * enrollment key. `fetch` is injected, so tests and the embedded runtime can route it in-process.
 */
import { randomBytes } from 'node:crypto';
import { encodeB64url } from '../core/b64';
import { HcxError, TrustListRejected } from '../core/errors';
import { TRUST_LIST_PROFILE } from '../core/profiles';
import type {
  KeyRevocationReason,
  RetentionPolicy,
  RevokedCode,
  SignedRequestPayload,
  StatusPublishRequest,
} from '../core/schemas/types.gen';
import { signRequest } from '../core/signed-request';
import { sha256 } from '../core/status/segment';
import type { Signer } from '../core/signer';
import { TRUST_LIST_OBJECT_KEY } from '../aws/names';
import { deltaKey, statusBatchKey } from '../exchange/static-artefacts';

/** The `fetch` the client calls (the global one by default). */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** A response from the exchange, body read (within the cap) as text. */
export interface ExchangeAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * Where a signed artefact is asked for: the exchange's static site (`staticBaseUrl`: S3 + CloudFront
 * in AWS, `<exchange>/static` locally; no function runs) or the exchange's API route.
 */
export type ArtefactSource = 'static' | 'api';

/** Talks to one exchange. */
export interface ExchangeClient {
  readonly baseUrl: string;
  /** The base URL of the exchange's static site, when configured (the nodes ask it first). */
  readonly staticBaseUrl?: string;
  /**
   * The full list, or with `since` the delta from that version: `GET /v1/trust-list[?since=]` from
   * the API, or `v1/trust-list` / `v1/trust-list/deltas/<since>` from the static site. Never more
   * than the cap is read.
   */
  getTrustList(since?: number, source?: ArtefactSource): Promise<ExchangeAnswer>;
  /** `POST` a signed request (`application/jose`) to `path`. */
  postSigned(path: string, jws: string): Promise<ExchangeAnswer>;
  /** `v1/status-batches/<hash>`: a status batch, verbatim (the caller checks its hash). */
  getStatusBatch(hash: string, source?: ArtefactSource): Promise<ExchangeAnswer>;
}

/** Options of {@link createExchangeClient}. */
export interface ExchangeClientOptions {
  /** e.g. `https://exchange.example` (no trailing slash needed); empty: every call fails as unavailable. */
  readonly baseUrl: string;
  /** The exchange's static site (`EXCHANGE_STATIC_URL`); none: every artefact from the API. */
  readonly staticBaseUrl?: string;
  readonly fetch?: FetchLike;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** Largest response body read, in bytes (default: the trust list's size cap, 4 MiB). */
  readonly maxBytes?: number;
}

/** The exchange could not be reached or answered 5xx: retry later (the replica stays as it is). */
export function exchangeUnavailable(cause?: unknown): HcxError {
  return new HcxError('EXCHANGE_UNAVAILABLE', { cause });
}

/** The exchange refused a signed request (4xx other than a conflict). */
export function exchangeRefused(status: number, problemCode: string | undefined): HcxError {
  return new HcxError('EXCHANGE_REFUSED', {
    detail: `exchange answered ${status}${problemCode ? ` ${problemCode}` : ''}`,
  });
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new TrustListRejected('TOO_LARGE', 'The exchange answer is too large');
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new TrustListRejected('TOO_LARGE', 'The exchange answer is too large');
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** An {@link ExchangeClient} over `fetch`. */
export function createExchangeClient(options: ExchangeClientOptions): ExchangeClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const staticBaseUrl = options.staticBaseUrl?.replace(/\/+$/, '') || undefined;
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? TRUST_LIST_PROFILE.maxLength;

  const call = async (path: string, init: RequestInit, base = baseUrl): Promise<ExchangeAnswer> => {
    // A node deployed before the federation operator handed out the exchange URL (docs/deploy.md).
    if (!base) throw exchangeUnavailable(new Error('no exchange URL is configured (EXCHANGE_URL)'));
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw exchangeUnavailable(e);
    }
    if (response.status >= 500) {
      await response.body?.cancel().catch(() => undefined);
      throw exchangeUnavailable(new Error(`exchange answered ${response.status}`));
    }
    let body: string;
    try {
      body = await readCapped(response, maxBytes);
    } catch (e) {
      if (e instanceof HcxError) throw e;
      throw exchangeUnavailable(e);
    }
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body };
  };

  const get = { method: 'GET', headers: { accept: 'application/jose' } };
  const fromStatic = (key: string) => {
    if (!staticBaseUrl)
      throw exchangeUnavailable(new Error('no static site is configured (EXCHANGE_STATIC_URL)'));
    return call(`/${key}`, get, staticBaseUrl);
  };
  return {
    baseUrl,
    ...(staticBaseUrl ? { staticBaseUrl } : {}),
    getTrustList(since, source = 'api') {
      if (source === 'static')
        return fromStatic(since === undefined ? TRUST_LIST_OBJECT_KEY : deltaKey(since));
      const query = since === undefined ? '' : `?since=${encodeURIComponent(String(since))}`;
      return call(`/v1/trust-list${query}`, get);
    },
    postSigned(path, jws) {
      return call(path, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: jws });
    },
    getStatusBatch(hash, source = 'api') {
      if (source === 'static') return fromStatic(statusBatchKey(encodeURIComponent(hash)));
      return call(`/v1/status-batches/${encodeURIComponent(hash)}`, get);
    },
  };
}

/** The stable `code` of a problem-details body, when there is one. */
export function problemCode(answer: ExchangeAnswer): string | undefined {
  if (!answer.contentType.startsWith('application/problem+json')) return undefined;
  try {
    const code = (JSON.parse(answer.body) as { code?: unknown }).code;
    return typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Who signs requests to the exchange, for whom. */
export interface SigningContext {
  readonly exchange: ExchangeClient;
  readonly enrollmentSigner: Signer;
  readonly region: string;
  readonly federationId: string;
  /** NumericDate seconds. */
  readonly now: () => number;
}

type Operation =
  | { op: 'key.publish'; key: Record<string, unknown>; alg: string; notBefore: number; notAfter: number }
  | { op: 'key.revoke'; kid: string; reason: KeyRevocationReason; revokedAt: number }
  | { op: 'code.revoke'; codes: RevokedCode[] }
  | { op: 'status.publish'; segments: StatusPublishRequest['segments'] }
  | { op: 'province.retention'; retention: RetentionPolicy };

/** Outcome of a signed request the exchange accepted (`conflict`: it was already done). */
export type SignedOutcome = 'accepted' | 'conflict';

/** 409 codes that mean the exchange already holds what this request asks for. */
// SEGMENT_REV_STALE: a later revision of the segment (built on this one's content) got there first.
const ALREADY_DONE = new Set(['KEY_ALREADY_KNOWN', 'KEY_ALREADY_REVOKED', 'SEGMENT_REV_STALE']);

/** What {@link sendSigned} got: the outcome, the request as sent, and the problem code of a refusal. */
interface SentRequest {
  readonly outcome: SignedOutcome | 'refused';
  readonly jws: string;
  readonly status: number;
  readonly code?: string;
}

async function sendSigned(ctx: SigningContext, path: string, operation: Operation): Promise<SentRequest> {
  const payload = {
    aud: ctx.federationId,
    iat: ctx.now(),
    jti: encodeB64url(randomBytes(16)),
    region: ctx.region,
    ...operation,
  } as SignedRequestPayload;
  const jws = await signRequest(ctx.enrollmentSigner, payload);
  const answer = await ctx.exchange.postSigned(path, jws);
  const code = problemCode(answer);
  if (answer.status >= 200 && answer.status < 300) return { outcome: 'accepted', jws, status: answer.status };
  // Only "already done" counts as done; TOO_MANY_KEYS and the like are real refusals.
  if (answer.status === 409 && ALREADY_DONE.has(code ?? '')) return { outcome: 'conflict', jws, status: 409 };
  return { outcome: 'refused', jws, status: answer.status, ...(code !== undefined ? { code } : {}) };
}

async function send(ctx: SigningContext, path: string, operation: Operation): Promise<SignedOutcome> {
  const sent = await sendSigned(ctx, path, operation);
  if (sent.outcome === 'refused') throw exchangeRefused(sent.status, sent.code);
  return sent.outcome;
}

/** Publish a signing key (`key.publish`). */
export function publishKey(
  ctx: SigningContext,
  key: { publicJwk: Record<string, unknown>; alg: string; notBefore: number; notAfter: number },
): Promise<SignedOutcome> {
  return send(ctx, `/v1/provinces/${ctx.region}/keys`, {
    op: 'key.publish',
    key: { ...key.publicJwk },
    alg: key.alg,
    notBefore: key.notBefore,
    notAfter: key.notAfter,
  });
}

/** Revoke one of the province's signing keys (`key.revoke`). */
export function revokeKey(
  ctx: SigningContext,
  kid: string,
  reason: KeyRevocationReason,
  revokedAt: number,
): Promise<SignedOutcome> {
  return send(ctx, `/v1/provinces/${ctx.region}/keys/${kid}/revoke`, {
    op: 'key.revoke',
    kid,
    reason,
    revokedAt,
  });
}

/** What the exchange answers to a province's sunset. */
export interface SunsetAnswer {
  readonly region: string;
  readonly status: 'sunset';
  /** kids the sunset retired. */
  readonly retired: string[];
  /** NumericDate of the `province.sunset` entry. */
  readonly sunsetAt: number;
  /** The log head at that entry. */
  readonly logHead: { readonly seq: number; readonly hash: string };
}

/** End the province's service at the exchange (`province.sunset`); a repeat answers the same. */
export async function sunsetAtExchange(ctx: SigningContext): Promise<SunsetAnswer> {
  const payload = {
    aud: ctx.federationId,
    iat: ctx.now(),
    jti: encodeB64url(randomBytes(16)),
    region: ctx.region,
    op: 'province.sunset',
  } as SignedRequestPayload;
  const jws = await signRequest(ctx.enrollmentSigner, payload);
  const answer = await ctx.exchange.postSigned(`/v1/provinces/${ctx.region}/sunset`, jws);
  if (answer.status !== 200) throw exchangeRefused(answer.status, problemCode(answer));
  return JSON.parse(answer.body) as SunsetAnswer;
}

/** State the province's retention policy (`province.retention`), logged and shown in the trust list. */
export function publishRetention(ctx: SigningContext, retention: RetentionPolicy): Promise<SignedOutcome> {
  return send(ctx, `/v1/provinces/${ctx.region}/retention`, { op: 'province.retention', retention });
}

/** Revoke codes (`code.revoke`), each with its own expiry. */
export function revokeCodes(ctx: SigningContext, codes: RevokedCode[]): Promise<SignedOutcome> {
  return send(ctx, `/v1/provinces/${ctx.region}/code-revocations`, { op: 'code.revoke', codes });
}

/** 409 codes that ask for a segment's full content instead of a patch. */
const PATCH_REFUSED = new Set(['SEGMENT_BASE_STALE', 'SEGMENT_CHAIN_FULL']);

/**
 * Publish status segments (`status.publish`), each its full content or a patch at a new revision.
 * Answers the outcome and the batch hash (SHA-256 of the request as sent, what the exchange stores
 * it under), or `patchRefused` when the exchange does not take a patch on the base it names
 * (`SEGMENT_BASE_STALE`, `SEGMENT_CHAIN_FULL`): the caller then sends the full segments.
 */
export async function publishStatusSegments(
  ctx: SigningContext,
  segments: StatusPublishRequest['segments'],
): Promise<{ readonly outcome: SignedOutcome | 'patchRefused'; readonly batch: string }> {
  const sent = await sendSigned(ctx, `/v1/provinces/${ctx.region}/status-segments`, {
    op: 'status.publish',
    segments,
  });
  const batch = sha256(sent.jws);
  if (sent.outcome !== 'refused') return { outcome: sent.outcome, batch };
  if (sent.status === 409 && PATCH_REFUSED.has(sent.code ?? '')) return { outcome: 'patchRefused', batch };
  throw exchangeRefused(sent.status, sent.code);
}
