/**
 * The static signed artefacts over the embedded runtime (docs/exchange.md, "Static artefacts"): the
 * exchange writes the list, each delta and each new status batch to its static site
 * (`<exchange>/static/`, the local copy of S3 + CloudFront), and the nodes sync from there with no
 * exchange function running for them (every exchange handler invocation is counted). A static copy
 * that is corrupt or missing is refused with its reason code and fetched from the exchange API
 * instead, and the next publication brings the nodes back to the static site.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { issue } from '../../functions/cli/commands/issue';
import { trustListFetch } from '../../functions/cli/commands/trust-list';
import { verify } from '../../functions/cli/commands/verify';
import type { Federation } from '../../functions/embedded/federation';
import type { LambdaHandler } from '../../functions/embedded/server';
import { captureLogs } from '../kit';
import { HOLDER, startTestFederation, verifyAt, type ProvinceState } from '../kit/federation';

jest.setTimeout(120_000);

let fed: Federation;
let dataDir: string;
let zj: ProvinceState;
let gd: ProvinceState;
/** Invocations of each exchange function (by function name) since the last reset. */
const invocations = new Map<string, number>();
const invoked = (fn: string) => invocations.get(fn) ?? 0;
/** The functions that serve deltas and status batches through the exchange API. */
const ARTEFACT_FUNCTIONS = ['exchange-trust-list', 'exchange-status-batch'];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hcx-static-'));
  fed = await startTestFederation(undefined, {
    dataDir,
    wrapHandlers: (built) => {
      const counted = (fn: string, handler: LambdaHandler): LambdaHandler => {
        return (event: APIGatewayProxyEventV2, ctx: Context) => {
          invocations.set(fn, invoked(fn) + 1);
          return handler(event, ctx);
        };
      };
      const routes = Object.fromEntries(
        Object.entries(built.exchange.routes).map(([fn, h]) => [fn, counted(fn, h)]),
      );
      return { ...built, exchange: { ...built.exchange, routes } };
    },
  });
  [zj, gd] = fed.state.provinces;
});
afterAll(async () => {
  await fed?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const staticDir = () => join(dataDir, 'static');
const staticFile = (key: string) => join(staticDir(), encodeURIComponent(key));
const batchFiles = () => new Set(readdirSync(staticDir()).filter((f) => f.startsWith('v1%2Fstatus-batches')));

async function registry(p: ProvinceState) {
  const res = await fetch(`${p.url}/v1/registry`, {
    headers: { authorization: `Bearer ${p.internalToken}` },
  });
  return (await res.json()) as { version: number; lastSync: { result: string; error?: string } };
}

/** Issue a code at zj and revoke it through zj's own route (one status publication at the exchange). */
async function revokedCode(): Promise<string> {
  const issued = await issue({
    node: zj.url,
    token: zj.internalToken,
    ...HOLDER,
    status: 'green',
    validity: 3600,
  });
  const res = await fetch(`${zj.url}/v1/codes/${issued.data.codeId}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${zj.internalToken}` },
  });
  expect(res.status).toBe(200);
  return issued.data.code;
}

it('serves each artefact at its static path, gzip-compressed, with its cache policy', async () => {
  // prepare
  await revokedCode();
  const { version } = await registry(gd);
  const [batch] = [...batchFiles()];

  // act
  const list = await fetch(`${fed.state.exchangeUrl}/static/v1/trust-list`);
  const delta = await fetch(`${fed.state.exchangeUrl}/static/v1/trust-list/deltas/${version}`);
  const stored = await fetch(`${fed.state.exchangeUrl}/static/${decodeURIComponent(batch)}`);
  const plain = await fetch(`${fed.state.exchangeUrl}/static/v1/trust-list`, {
    headers: { 'accept-encoding': 'identity' },
  });
  const unknown = await fetch(`${fed.state.exchangeUrl}/static/v1/trust-list/deltas/x`);

  // assert
  for (const res of [list, delta, stored]) {
    expect([res.status, res.headers.get('content-type'), res.headers.get('content-encoding')]).toEqual([
      200,
      'application/jose',
      'gzip',
    ]);
    expect((await res.text()).split('.')).toHaveLength(3);
  }
  expect(list.headers.get('cache-control')).toBe('public, max-age=60');
  expect(delta.headers.get('cache-control')).toBe('public, max-age=60');
  expect(stored.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect([plain.status, plain.headers.get('content-encoding')]).toEqual([200, null]);
  expect((await plain.text()).split('.')).toHaveLength(3);
  expect(unknown.status).toBe(404);
});

it('lets the nodes sync deltas and status batches with no exchange function running for them', async () => {
  // prepare
  const code = await revokedCode();
  invocations.clear();

  // act
  await fed.runScheduled();

  // assert
  const answer = await verifyAt(gd, code);
  expect([answer.result, answer.reasons.map((r) => r.code)]).toEqual(['invalid', ['CODE_REVOKED']]);
  for (const fn of ARTEFACT_FUNCTIONS) expect([fn, invoked(fn)]).toEqual([fn, 0]);
  const head = JSON.parse(
    Buffer.from(
      (await (await fetch(`${fed.state.exchangeUrl}/v1/trust-list`)).text()).split('.')[1],
      'base64url',
    ).toString(),
  ) as { version: number };
  for (const p of [zj, gd]) {
    const r = await registry(p);
    expect([r.version, r.lastSync.error]).toEqual([head.version, undefined]);
  }
});

it('refuses a corrupt delta and a missing batch on the static site, recovers through the API, then returns to the site', async () => {
  // prepare: a publication whose static delta (from the nodes' version) is corrupted and batch removed
  const { version } = await registry(gd);
  const before = batchFiles();
  const code = await revokedCode();
  const [added] = [...batchFiles()].filter((f) => !before.has(f));
  expect(added).toBeDefined();
  // the genuine delta with one byte of its signature changed
  const file = staticFile(`v1/trust-list/deltas/${version}`);
  const genuine = gunzipSync(readFileSync(file)).toString('utf8');
  const flipped = genuine.slice(0, -6) + (genuine.at(-6) === 'A' ? 'B' : 'A') + genuine.slice(-5);
  writeFileSync(file, gzipSync(flipped));
  const removed = readFileSync(join(staticDir(), added));
  rmSync(join(staticDir(), added));
  expect(existsSync(join(staticDir(), added))).toBe(false);
  invocations.clear();
  const logs = captureLogs();

  // act
  try {
    await fed.runScheduled();
  } finally {
    logs.stop();
  }

  // assert: refused with their reason codes, fetched from the API, and the revocation is in force
  const refusals = logs
    .records()
    .filter((r) => r.message === 'static artefact refused, asking the exchange API')
    .map((r) => `${r.artefact as string}:${r.reason as string}`);
  expect(new Set(refusals)).toEqual(new Set(['delta:SIGNATURE_INVALID', 'batch:NOT_PUBLISHED']));
  expect(invoked('exchange-trust-list')).toBeGreaterThanOrEqual(1);
  expect(invoked('exchange-status-batch')).toBeGreaterThanOrEqual(1);
  const answer = await verifyAt(gd, code);
  expect([answer.result, answer.reasons.map((r) => r.code)]).toEqual(['invalid', ['CODE_REVOKED']]);
  const r = await registry(gd);
  expect([r.lastSync.result, r.lastSync.error]).toEqual(['updated', undefined]);

  // and not stuck: the next publication is synced from the static site again, no function running
  const next = await revokedCode();
  invocations.clear();
  await fed.runScheduled();
  expect((await verifyAt(gd, next)).reasons.map((x) => x.code)).toEqual(['CODE_REVOKED']);
  for (const fn of ARTEFACT_FUNCTIONS) expect([fn, invoked(fn)]).toEqual([fn, 0]);
  // The site repaired: later revisions of the segment are patches on that batch, which a fresh
  // client walks back through (the next test reads the whole chain from the site).
  writeFileSync(join(staticDir(), added), removed);
});

it('hcx trust-list fetch --static-url saves the list and its batches from the static site, the exchange only for a refused copy', async () => {
  // prepare
  const code = await revokedCode();
  const out = join(dataDir, 'cli', 'trust-list.jws');
  mkdirSync(join(dataDir, 'cli'));
  const staticUrl = `${fed.state.exchangeUrl}/static`;
  const options = { exchange: fed.state.exchangeUrl, federationJwks: fed.state.federationJwks, staticUrl };
  invocations.clear();

  // act: a fresh fetch, all from the static site
  const first = await trustListFetch({ ...options, out });
  const offline = await verify({
    code,
    offline: true,
    trustList: out,
    federationJwks: fed.state.federationJwks,
  });

  // assert
  expect(first.lines.filter((l) => l.includes('not used'))).toEqual([]);
  expect(first.lines[0]).toContain(`from ${staticUrl}`);
  for (const fn of [...ARTEFACT_FUNCTIONS]) expect([fn, invoked(fn)]).toEqual([fn, 0]);
  expect([offline.data.result, offline.data.reasons.map((r) => r.code)]).toEqual([
    'invalid',
    ['CODE_REVOKED'],
  ]);

  // act: a batch missing from the static site is fetched from the exchange (and said so)
  const named = JSON.parse(Buffer.from(readFileSync(out, 'utf8').split('.')[1], 'base64url').toString()) as {
    statusSegments: { batch: string }[];
  };
  rmSync(staticFile(`v1/status-batches/${named.statusSegments[0].batch}`));
  const other = join(dataDir, 'cli', 'again.jws');
  const second = await trustListFetch({ ...options, out: other });

  // assert
  expect(second.lines.filter((l) => l.includes('not used from the static site'))).toHaveLength(1);
  expect(invoked('exchange-status-batch')).toBe(1);
  expect(invoked('exchange-trust-list')).toBe(0);
});

it("the checkpoint page's proxy on a node serves the list, a delta and a batch from the static site, the API only for what is missing there", async () => {
  // prepare: a publication the node syncs, so the list names a batch and a delta from its version exists
  const { version } = await registry(gd);
  await revokedCode();
  await fed.runScheduled();
  invocations.clear();
  const get = async (path: string) => {
    const res = await fetch(`${gd.url}${path}`);
    return { status: res.status, source: res.headers.get('x-hcx-source'), body: await res.text() };
  };
  const staticCopy = (key: string) => gunzipSync(readFileSync(staticFile(key))).toString('utf8');

  // act
  const list = await get('/check/trust-list');
  const delta = await get(`/check/trust-list?since=${version}`);
  const named = JSON.parse(Buffer.from(list.body.split('.')[1], 'base64url').toString()) as {
    statusSegments: { batch: string }[];
  };
  const hash = named.statusSegments[0].batch;
  const batch = await get(`/check/status-batches?hash=${hash}`);

  // assert: byte for byte the static objects, and no exchange function ran
  expect([list.status, list.source, list.body]).toEqual([200, 'static', staticCopy('v1/trust-list')]);
  expect([delta.status, delta.source, delta.body]).toEqual([
    200,
    'static',
    staticCopy(`v1/trust-list/deltas/${version}`),
  ]);
  expect([batch.status, batch.source, batch.body]).toEqual([
    200,
    'static',
    staticCopy(`v1/status-batches/${hash}`),
  ]);
  for (const fn of ARTEFACT_FUNCTIONS) expect([fn, invoked(fn)]).toEqual([fn, 0]);

  // act: the batch is gone from the static site
  const kept = readFileSync(staticFile(`v1/status-batches/${hash}`));
  rmSync(staticFile(`v1/status-batches/${hash}`));
  let fallback: Awaited<ReturnType<typeof get>>;
  try {
    fallback = await get(`/check/status-batches?hash=${hash}`);
  } finally {
    writeFileSync(staticFile(`v1/status-batches/${hash}`), kept);
  }

  // assert: the exchange API answered it, the same signed batch
  expect([fallback.status, fallback.source, fallback.body]).toEqual([200, 'api', batch.body]);
  expect(invoked('exchange-status-batch')).toBe(1);
});
