/**
 * Shared kit of the attack suite: a running federation with the keys an attacker (or an insider)
 * is assumed to hold, raw HTTP calls, code forgery with real keys, a verifier node of our own (its
 * own table, clock and exchange URL) served over real HTTP, and the problem-details checks every
 * refusal must pass.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { parseStrictJson } from '../../functions/core/json';
import { signRequest } from '../../functions/core/signed-request';
import { LocalKeySigner, type Signer } from '../../functions/core/signer';
import { createTable } from '../../functions/aws/dynamodb';
import { PROVINCE_TABLE } from '../../functions/core/storage/tables';
import { close, createServiceServer, listen } from '../../functions/embedded/adapter';
import type { Federation } from '../../functions/embedded/federation';
import { createProvinceDeps, type ProvinceDeps } from '../../functions/province/deps';
import { syncOnce, type SyncOutcome } from '../../functions/province/sync';
import { create as createVerify } from '../../functions/province/handlers/verify';
import { create as createRegistry } from '../../functions/province/handlers/registry';
import { routesOf } from '../../functions/routes';
import { nonce } from '../kit/domain';
import { HOLDER, now, startTestFederation, type ProvinceState } from '../kit/federation';

export { HOLDER, now, type ProvinceState };
export { b64, claimsOf, codeHeader, forge, nonce, segments } from '../kit/domain';
export { int32, P256_N } from '../kit/attacks';

/** The federation and the private keys its key folder holds (what an insider of each party has). */
export interface SecurityFederation {
  readonly fed: Federation;
  readonly zj: ProvinceState;
  readonly gd: ProvinceState;
  readonly fj: ProvinceState;
  /** The federation key that signs trust lists and deltas. */
  readonly federationSigner: Signer;
  /** Each province's issuer (code-signing) key, by region. */
  readonly issuer: Readonly<Record<string, Signer>>;
  /** Each province's enrollment (request-signing) key, by region. */
  readonly enrollment: Readonly<Record<string, Signer>>;
}

async function signerFromFile(file: string): Promise<Signer> {
  return LocalKeySigner.fromPrivateJwk(
    parseStrictJson(readFileSync(file, 'utf8')) as Record<string, unknown>,
  );
}

/** Start a throwaway federation and load its key files. */
export async function startSecurityFederation(): Promise<SecurityFederation> {
  const fed = await startTestFederation();
  const [zj, gd, fj] = fed.state.provinces;
  const issuer: Record<string, Signer> = {};
  const enrollment: Record<string, Signer> = {};
  for (const p of fed.state.provinces) {
    issuer[p.region] = await signerFromFile(join(fed.context.keysDir, `${p.region}-issuer.jwk.json`));
    enrollment[p.region] = await signerFromFile(p.enrollmentKeyFile);
  }
  const federationSigner = await signerFromFile(join(fed.context.keysDir, 'federation.jwk.json'));
  return { fed, zj, gd, fj, federationSigner, issuer, enrollment };
}

/** A response read once: status, headers, text, and the JSON body when there is one. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: json stays empty, callers look at text
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Any HTTP request, body sent as given (string or raw bytes). */
export async function request(
  url: string,
  init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return answer(
    await fetch(url, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: init.headers,
      body: init.body as string | undefined,
    }),
  );
}

/** POST `body` to `url` with a content type (JSON by default). */
export function post(
  url: string,
  body: string | Uint8Array,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): Promise<Answer> {
  return request(url, { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });
}

/** What a verification answers (the parts the suite looks at). */
export interface Verification {
  readonly result: string;
  readonly status: string | null;
  readonly codeId: string | null;
  readonly reasons: { code: string }[];
}

/** POST /v1/codes/verify at `baseUrl`; asserts 200 and returns the result. */
export async function verifyAt(baseUrl: string, code: string, holder?: object): Promise<Verification> {
  const res = await post(`${baseUrl}/v1/codes/verify`, JSON.stringify(holder ? { code, holder } : { code }));
  expect(res.status).toBe(200);
  return res.json as unknown as Verification;
}

/** The reason codes `baseUrl` gives `code`. */
export async function reasonsAt(baseUrl: string, code: string): Promise<string[]> {
  return (await verifyAt(baseUrl, code)).reasons.map((r) => r.code);
}

/** An issued code, as the issue route answers it. */
export interface Issued {
  readonly code: string;
  readonly codeId: string;
  readonly expiresAt: string;
}

/** Issue a code at province `p` over HTTP. */
export async function issue(p: ProvinceState, over: Record<string, unknown> = {}): Promise<Issued> {
  const res = await post(
    `${p.url}/v1/codes`,
    JSON.stringify({ holder: HOLDER, status: 'green', ...over }),
    undefined,
    {
      authorization: `Bearer ${p.internalToken}`,
    },
  );
  expect(res.status).toBe(201);
  return res.json as unknown as Issued;
}

/** A signed request as province `region` would send it, with any member overridden. */
export function signedRequest(
  signer: Signer,
  federationId: string,
  region: string,
  payload: Record<string, unknown>,
): Promise<string> {
  return signRequest(signer, {
    aud: federationId,
    iat: now(),
    jti: nonce(),
    region,
    ...payload,
  } as never);
}

/** POST a signed request (`application/jose`) to the exchange. */
export function postSigned(exchangeUrl: string, path: string, jws: string): Promise<Answer> {
  return post(`${exchangeUrl}${path}`, jws, 'application/jose');
}

const INTERNAL_NAMES = /hcx-exchange|hcx-province|arn:aws|at .*\(.*:\d+:\d+\)|\bstack\b|node_modules|\.ts\b/i;

/**
 * Assert an RFC 9457 refusal: the status, `application/problem+json`, the stable `code`, and nothing
 * a caller should not see (no stack trace, no table name or ARN, none of `echo` repeated back).
 */
export function expectProblem(res: Answer, status: number, code: string, echo: readonly string[] = []): void {
  expect([res.status, res.json.code]).toEqual([status, code]);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json).toMatchObject({ status, code, type: expect.stringMatching(/^https:\/\//) });
  expect(Object.keys(res.json).sort()).toEqual(expect.arrayContaining(['code', 'status', 'title', 'type']));
  for (const key of Object.keys(res.json))
    expect(['code', 'status', 'title', 'type', 'detail']).toContain(key);
  expect(res.text).not.toMatch(INTERNAL_NAMES);
  for (const e of echo) expect(res.text).not.toContain(e);
}

/** A verifier node of our own: its own table, clock and exchange, served over real HTTP. */
export interface VerifierNode {
  readonly url: string;
  readonly deps: ProvinceDeps;
  /** The node's province table. */
  readonly tableName: string;
  /** Seconds added to the real clock (a checkpoint whose clock runs ahead). */
  offset: number;
  /** Run one sync now; the next verification sees its outcome. */
  sync(): Promise<SyncOutcome>;
  close(): Promise<void>;
}

let nodeCounter = 0;

/**
 * Start a verifier node against `exchangeUrl` (the real exchange, or a fake one); with `tableName`
 * it shares an existing node's table (a second Lambda instance of the same node).
 */
export async function startVerifierNode(
  fed: Federation,
  options: { exchangeUrl?: string; region?: string; tableName?: string } = {},
): Promise<VerifierNode> {
  ++nodeCounter;
  const tableName = options.tableName ?? `hcx-security-${process.pid}-${nodeCounter}`;
  if (!options.tableName) await createTable(fed.context.client, PROVINCE_TABLE, tableName);
  const node = {
    offset: 0,
  } as { offset: number } & Partial<VerifierNode>;
  const deps = createProvinceDeps({
    region: options.region ?? '110000',
    federationId: fed.state.federationId,
    client: fed.context.client,
    tableName,
    exchangeUrl: options.exchangeUrl ?? fed.state.exchangeUrl,
    federationJwks: fed.state.federationJwks as never,
    now: () => Math.floor(Date.now() / 1000) + node.offset,
  });
  const server: Server = createServiceServer({
    name: `verifier-${nodeCounter}`,
    routes: routesOf('province'),
    handlers: { 'province-verify': createVerify(deps), 'province-registry': createRegistry(deps) },
    principals: { internal: { token: 'verifier-token', name: 'verifier' } },
  });
  const url = await listen(server, 0);
  return Object.assign(node, {
    url,
    deps,
    tableName,
    async sync() {
      const outcome = await syncOnce(deps);
      deps.registry.invalidate();
      return outcome;
    },
    close: () => close(server, 100),
  }) as VerifierNode;
}

/** What the fake exchange answers; `undefined` passes the request on to the real exchange. */
export type FakeAnswer =
  { status: number; body: string | Buffer; headers?: Record<string, string> } | undefined;

/** A fake exchange on 127.0.0.1 serving crafted answers, or proxying to the real one. */
export interface FakeExchange {
  readonly url: string;
  /** The current script: path with query (e.g. `/v1/trust-list?since=7`) to an answer. */
  script: (pathAndQuery: string) => FakeAnswer | Promise<FakeAnswer>;
  /** Every path asked, in order. */
  readonly asked: string[];
  close(): Promise<void>;
}

/** Start a fake exchange in front of `realUrl`. */
export async function startFakeExchange(realUrl: string): Promise<FakeExchange> {
  const { createServer } = await import('node:http');
  const fake = { script: () => undefined, asked: [] as string[] } as unknown as FakeExchange & {
    script: FakeExchange['script'];
  };
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    fake.asked.push(path);
    // Status batches are content-addressed (the node checks their hash): always the real ones,
    // so a script written for the trust list does not answer them by accident.
    const scripted = path.startsWith('/v1/status-batches/') ? undefined : fake.script(path);
    void Promise.resolve(scripted)
      .then(async (crafted) => {
        if (crafted) return crafted;
        const real = await fetch(`${realUrl}${path}`);
        return {
          status: real.status,
          body: Buffer.from(await real.arrayBuffer()),
          headers: { 'content-type': real.headers.get('content-type') ?? 'application/octet-stream' },
        };
      })
      .then(
        (a) => {
          res.writeHead(a.status, { 'content-type': 'application/jose', ...a.headers });
          res.end(a.body);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
  });
  const url = await listen(server, 0);
  return Object.assign(fake, { url, close: () => close(server, 100) });
}
