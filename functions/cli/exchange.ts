/**
 * Talking to the exchange as a province. Signed requests go through the province node's own client
 * (functions/province/exchange-client.ts: `publishKey`, `revokeKey`, over `signRequest`), so the CLI
 * and the node send the very same requests; this module only adds the federation id lookup and turns
 * every failure into a {@link CliError} that says what was wrong and what to do.
 */
import { hasCode, HcxError, TrustListRejected } from '../core/errors';
import {
  createExchangeClient,
  type ExchangeAnswer,
  type ExchangeClient,
  type SigningContext,
} from '../province/exchange-client';
import { CliError, ServiceError } from './errors';
import { loadSigner } from './files';
import { call, endpoint, jsonOf, problem, unreachable } from './http';
import { nowSeconds } from './result';

/** The federation id (`aud` of signed requests) and public keys, from `GET /v1/federation`. */
export async function federationInfo(
  exchange: string,
): Promise<{ federation: string; keys: { keys: unknown[] } }> {
  const { json } = await call(exchange, '/v1/federation');
  const info = json as { federation?: unknown; keys?: { keys?: unknown } } | undefined;
  if (typeof info?.federation !== 'string' || !Array.isArray(info.keys?.keys)) {
    throw new ServiceError(`${exchange} does not look like an hcx exchange (GET /v1/federation)`);
  }
  return { federation: info.federation, keys: { keys: info.keys.keys as unknown[] } };
}

/**
 * The node's exchange client, except that any refusal (4xx, 409 included) becomes a
 * {@link ServiceError} carrying the exchange's problem code and detail. The node's client answers a
 * 409 with "already done", which suits a node re-running a step; a person must see which conflict it
 * was (KEY_ALREADY_KNOWN, KEY_ALREADY_REVOKED, TOO_MANY_KEYS).
 */
function explainingClient(base: string, answers: Answer[]): ExchangeClient {
  const client = createExchangeClient({ baseUrl: base });
  return {
    baseUrl: client.baseUrl,
    getTrustList: (since) => client.getTrustList(since),
    getStatusBatch: (hash) => client.getStatusBatch(hash),
    async postSigned(path, jws) {
      const answer = await client.postSigned(path, jws);
      const body = jsonOf(answer.contentType, answer.body);
      if (answer.status >= 400) throw problem(endpoint(base, path), answer.status, body);
      answers.push({ status: answer.status, body });
      return answer;
    },
  };
}

/** An accepted answer to a signed request: its HTTP status and its JSON body. */
export interface Answer {
  readonly status: ExchangeAnswer['status'];
  readonly body: unknown;
}

/** The node's signing context, plus what the exchange answered to each accepted request, in order. */
export interface CliSigningContext extends SigningContext {
  readonly answers: readonly Answer[];
}

/** Who the CLI signs as at the exchange. */
export interface ProvinceIdentity {
  readonly exchange: string;
  readonly region: string;
  /** The province's private enrollment JWK file. */
  readonly enrollmentKey: string;
  /** Current time (seconds), for tests. */
  readonly now?: number;
}

/**
 * The signing context of the province: its enrollment key (read first, so a bad file is reported
 * before any request), then the federation id from the exchange.
 */
export async function signingContext(o: ProvinceIdentity): Promise<CliSigningContext> {
  endpoint(o.exchange, '/'); // a usage error for a malformed URL, before anything else
  const enrollmentSigner = await loadSigner(o.enrollmentKey, 'the enrollment key file');
  const { federation } = await federationInfo(o.exchange);
  const answers: Answer[] = [];
  return {
    answers,
    exchange: explainingClient(o.exchange, answers),
    enrollmentSigner,
    region: o.region,
    federationId: federation,
    now: () => o.now ?? nowSeconds(),
  };
}

/** Run `operation` against `exchange`, turning the exchange client's errors into {@link CliError}s. */
export async function atExchange<T>(exchange: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (e) {
    if (e instanceof CliError || !(e instanceof HcxError)) throw e;
    const url = endpoint(exchange, '/');
    if (hasCode(e, 'EXCHANGE_UNAVAILABLE')) {
      // The client's cause is either what `fetch` threw or "exchange answered <5xx>".
      const answered = /^exchange answered (\d{3})$/.exec((e.cause as Error | undefined)?.message ?? '');
      if (answered) {
        throw new ServiceError(
          `${url.origin} answered ${answered[1]} (temporary: retry in a moment)`,
          Number(answered[1]),
        );
      }
      throw unreachable(url, e.cause);
    }
    if (e instanceof TrustListRejected) {
      throw new ServiceError(`the trust list from ${url.origin} was refused (${e.reason})`);
    }
    throw new ServiceError(`${url.origin}: ${e.message} [${e.code}]`, e.status, e.code);
  }
}
