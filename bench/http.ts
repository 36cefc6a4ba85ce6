/**
 * Verification over HTTP: `POST /v1/codes/verify` of a province node of the embedded runtime
 * (adapter, API Gateway event, middy, schema, registry cache, `verifyCode`) against a bare Node
 * server that only parses JSON and runs raw `crypto.verify` on the same code (`bare-server.ts`).
 *
 *   npx tsx bench/http.ts [seconds] [connections]   # progress on stderr, lines and one JSON line on stdout
 *
 * How it is measured, and why:
 * - One code is issued at the first province and verified at the second (a cross-province check,
 *   the case the federation exists for); the bare server verifies that very code's signature with
 *   the issuing province's public key, fetched from the exchange.
 * - autocannon, keep-alive, the same connections and duration for both targets, after a short
 *   warm-up of each, in three rounds of bare then runtime; the reported figures are
 *   medians over rounds and the ratio is the median of each round's runtime/bare ratio, so that a
 *   burst of noise on this shared 2-core machine hits one pair rather than one side.
 * - The load generator runs in a child process (`http-load.ts`), not in-process: in-process it
 *   would share the event loop (and the heap and its garbage collector) with the server under test,
 *   so every millisecond autocannon spends building requests and parsing responses would be a
 *   millisecond the server cannot answer, and the runtime, which allocates more per request, would
 *   be penalised more than the bare server. A child process is closer to a client on another
 *   machine; on 2 cores the OS still shares the CPU between the two processes, which lowers both
 *   absolute numbers alike and is why only the same-run ratio means anything. (A worker thread
 *   would also have its own event loop, but shares the process's heap limits and libuv pool.)
 * - Latencies are taken per response at full precision (autocannon's histogram rounds them down
 *   to whole milliseconds).
 * - Every runtime response must be 200 and say `"result":"valid"`, and so must every bare one:
 *   otherwise the benchmark fails instead of reporting the speed of an error page.
 * - Both servers listen on 127.0.0.1 only. The runtime runs quiet (`HCX_LOG_SILENT`, unless the
 *   environment says otherwise): metrics are dropped instead of printing one EMF line per request,
 *   as in the tests; in AWS that line goes to CloudWatch Logs and is not on the request path we
 *   compare here.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { join } from 'node:path';
import type { FederationOptions, FederationState } from '../functions/embedded/federation';
import { rawVerify, startBareServer } from './bare-server';
import type { LoadJob, LoadResult } from './http-load';
import { median } from './stats';

/** Options of {@link runHttpBench}. */
export interface HttpBenchOptions {
  /** Seconds of each measured run (default 10). */
  readonly durationSeconds?: number;
  /** Concurrent keep-alive connections (default 10). */
  readonly connections?: number;
  /**
   * Measured rounds of each target (default 3: bare, runtime, three times). Odd, so that the median
   * ratio sets one disturbed round aside instead of averaging it in.
   */
  readonly rounds?: number;
  /** Progress lines (default stderr). */
  readonly log?: (line: string) => void;
  /** The runtime's hooks (default `functions/embedded/wiring.ts`); a stub during development. */
  readonly federationHooks?: Pick<FederationOptions, 'buildHandlers' | 'provision'>;
}

/** What the HTTP benchmark reports (rates in verifications per second, latencies in ms). */
export interface HttpBenchResult {
  httpVerifyPerSecond: number;
  bareVerifyPerSecond: number;
  httpVerifyRatio: number;
  httpVerifyP50Ms: number;
  httpVerifyP99Ms: number;
  bareP50Ms: number;
  bareP99Ms: number;
}

/** The goal stated in the issue: the runtime at least half as fast as the bare server. */
export const HTTP_VERIFY_RATIO_GOAL = 0.5;

const HOLDER = { name: '张三', idType: '10', idNumber: '11010519491231002X' };
const WARM_UP_SECONDS = 2;

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Measure verification over HTTP against the embedded runtime and the bare server, in one run. */
export async function runHttpBench(options: HttpBenchOptions = {}): Promise<HttpBenchResult> {
  const duration = options.durationSeconds ?? 10;
  const connections = options.connections ?? 10;
  const rounds = options.rounds ?? 3;
  const log = options.log ?? ((line: string) => console.error(line));
  if (!(duration > 0) || !(connections >= 1) || !(rounds >= 1)) {
    throw new Error('durationSeconds, connections and rounds must be positive');
  }

  // Before the domain modules load: observability reads it once, at import.
  process.env.HCX_LOG_SILENT ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { startFederation } = await import('../functions/embedded/federation');
  const hooks = options.federationHooks ?? (await import('../functions/embedded/wiring'));

  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    log('  starting the embedded runtime (in memory)...');
    const federation = await startFederation({
      memory: true,
      port: 0,
      syncIntervalSeconds: 3600,
      sweepIntervalSeconds: 3600,
      buildHandlers: hooks.buildHandlers,
      provision: hooks.provision,
      // adapter failures only: names and ids, never bodies or tokens
      log: (message, fields) => log(`  runtime: ${message} ${JSON.stringify(fields)}`),
    });
    cleanups.push(() => federation.close());
    const [issuer, verifier] = federation.state.provinces;
    if (!issuer || !verifier) throw new Error('the benchmark needs at least two provinces');

    const code = await issue(issuer);
    const body = JSON.stringify({ code });
    const publicJwk = await signingKeyOf(federation.state, issuer.region, code);
    const bare = await startBareServer(publicJwk);
    cleanups.push(() => bare.close());
    const runtimeUrl = `${verifier.url}/v1/codes/verify`;
    await expectValid(runtimeUrl, body, 'the runtime');
    await expectValid(bare.url, body, 'the bare server');

    const load = await startLoadGenerator();
    cleanups.push(() => load.close());
    const job = (url: string, seconds: number): LoadJob => ({
      url,
      body,
      connections,
      durationSeconds: seconds,
    });

    log(`  warm-up: ${WARM_UP_SECONDS} s each, ${connections} connections`);
    check(await load.run(job(bare.url, WARM_UP_SECONDS)), 'bare server');
    check(await load.run(job(runtimeUrl, WARM_UP_SECONDS)), 'runtime');

    const bareRuns: LoadResult[] = [];
    const runtimeRuns: LoadResult[] = [];
    const ratios: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const b = check(await load.run(job(bare.url, duration)), 'bare server');
      const h = check(await load.run(job(runtimeUrl, duration)), 'runtime');
      bareRuns.push(b);
      runtimeRuns.push(h);
      ratios.push(rate(h) / rate(b));
      log(
        `  round ${r}/${rounds}: bare ${rate(b).toFixed(0)}/s (p50 ${b.p50Ms.toFixed(2)} ms, p99 ${b.p99Ms.toFixed(2)} ms), ` +
          `runtime ${rate(h).toFixed(0)}/s (p50 ${h.p50Ms.toFixed(2)} ms, p99 ${h.p99Ms.toFixed(2)} ms), ratio ${(rate(h) / rate(b)).toFixed(3)}`,
      );
    }
    // the code still verifies after the load (nothing cached an error along the way)
    await expectValid(runtimeUrl, body, 'the runtime');

    return {
      httpVerifyPerSecond: Math.round(median(runtimeRuns.map(rate))),
      bareVerifyPerSecond: Math.round(median(bareRuns.map(rate))),
      httpVerifyRatio: round(median(ratios), 3),
      httpVerifyP50Ms: round(median(runtimeRuns.map((x) => x.p50Ms)), 2),
      httpVerifyP99Ms: round(median(runtimeRuns.map((x) => x.p99Ms)), 2),
      bareP50Ms: round(median(bareRuns.map((x) => x.p50Ms)), 2),
      bareP99Ms: round(median(bareRuns.map((x) => x.p99Ms)), 2),
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

/** The human lines for a result (what `npx tsx bench/http.ts` prints before the JSON line). */
export function httpBenchLines(r: HttpBenchResult): string[] {
  return [
    `verify over HTTP: runtime ${r.httpVerifyPerSecond}/s vs bare node:http + crypto.verify ${r.bareVerifyPerSecond}/s = ${r.httpVerifyRatio}x (goal >= ${HTTP_VERIFY_RATIO_GOAL}x${r.httpVerifyRatio >= HTTP_VERIFY_RATIO_GOAL ? '' : ', MISSED'})`,
    `verify over HTTP latency: runtime p50 ${r.httpVerifyP50Ms} ms, p99 ${r.httpVerifyP99Ms} ms; bare p50 ${r.bareP50Ms} ms, p99 ${r.bareP99Ms} ms`,
  ];
}

function rate(r: LoadResult): number {
  return r.responses / r.seconds;
}

/** Fail loudly unless every response of a run was a 200 saying `valid`. */
function check(r: LoadResult, target: string): LoadResult {
  const other = Object.entries(r.statuses).filter(([status]) => status !== '200');
  if (r.responses === 0 || other.length > 0 || r.notValid > 0 || r.errors > 0 || r.timeouts > 0) {
    throw new Error(
      `${target}: not every response was a valid 200 (responses ${r.responses}, by status ${JSON.stringify(r.statuses)}, ` +
        `not valid ${r.notValid}, errors ${r.errors}, timeouts ${r.timeouts})`,
    );
  }
  return r;
}

/** Issue the benchmark's code at `province` (`POST /v1/codes`, internal token). */
async function issue(province: FederationState['provinces'][number]): Promise<string> {
  const res = await fetch(`${province.url}/v1/codes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${province.internalToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ holder: HOLDER, status: 'green' }),
  });
  const answer = (await res.json().catch(() => undefined)) as { code?: unknown } | undefined;
  if (res.status !== 201 || typeof answer?.code !== 'string') {
    throw new Error(
      `could not issue the benchmark code at ${province.region}: HTTP ${res.status}${problemCode(answer)}`,
    );
  }
  return answer.code;
}

/**
 * The issuing province's public key that signed `code`: whichever key verifies it among those the
 * exchange publishes for the province (`jwks.json`), or else among those in the trust list.
 */
async function signingKeyOf(state: FederationState, region: string, code: string): Promise<JsonWebKey> {
  const sources = [`/v1/provinces/${region}/jwks.json`, '/v1/trust-list'];
  const statuses: string[] = [];
  for (const path of sources) {
    const res = await fetch(`${state.exchangeUrl}${path}`);
    statuses.push(`${path}: HTTP ${res.status}`);
    if (res.status !== 200) continue;
    for (const jwk of publicKeysIn(await res.text())) {
      try {
        if (rawVerify(code, createPublicKey({ key: jwk, format: 'jwk' }))) return jwk;
      } catch {
        // not a P-256 key: the bare server only knows ES256
      }
    }
  }
  throw new Error(
    `no ES256 key published for ${region} verifies the benchmark code (${statuses.join(', ')})`,
  );
}

/** Every JWK-looking object (has `kty`) in a JSON document, looking inside compact JWS payloads too. */
function publicKeysIn(text: string): JsonWebKey[] {
  const found: JsonWebKey[] = [];
  const parse = (t: string): unknown => {
    try {
      return JSON.parse(t);
    } catch {
      return undefined;
    }
  };
  const walk = (x: unknown): void => {
    if (typeof x === 'string' && /^[\w-]+\.[\w-]+\.[\w-]*$/.test(x)) {
      walk(parse(Buffer.from(x.split('.')[1], 'base64url').toString('utf8')));
    } else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      if (typeof (x as { kty?: unknown }).kty === 'string') found.push(x as JsonWebKey);
      else Object.values(x).forEach(walk);
    }
  };
  const t = text.trim();
  walk(t.startsWith('{') || t.startsWith('[') || t.startsWith('"') ? parse(t) : t);
  return found;
}

async function expectValid(url: string, body: string, target: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = (await res.json().catch(() => undefined)) as { result?: unknown } | undefined;
  if (res.status !== 200 || answer?.result !== 'valid') {
    throw new Error(
      `${target} did not verify the benchmark code: HTTP ${res.status}, result ${String(answer?.result)}${problemCode(answer)}`,
    );
  }
}

/** `, CODE` for an RFC 9457 answer with a stable code (never the body itself). */
function problemCode(answer: unknown): string {
  const code = (answer as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && !/^HCX[12]:/.test(code) ? `, ${code}` : '';
}

interface LoadGenerator {
  run(job: LoadJob): Promise<LoadResult>;
  close(): Promise<void>;
}

/** Fork `http-load.ts` (through tsx's CommonJS hook) and wait until it is ready. */
async function startLoadGenerator(): Promise<LoadGenerator> {
  const child: ChildProcess = fork(join(__dirname, 'http-load.ts'), [], {
    execArgv: ['--require', require.resolve('tsx/cjs')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  type Reply =
    { kind: 'ready' } | { kind: 'result'; result: LoadResult } | { kind: 'error'; message: string };
  const next = () =>
    new Promise<Reply>((resolve, reject) => {
      const onExit = (status: number | null) => reject(new Error(`the load generator exited (${status})`));
      child.once('exit', onExit);
      child.once('message', (m: Reply) => {
        child.off('exit', onExit);
        resolve(m);
      });
    });
  await next();
  return {
    async run(job) {
      const reply = next();
      child.send({ kind: 'run', job });
      const m = await reply;
      if (m.kind !== 'result') throw new Error(`load generator: ${m.kind === 'error' ? m.message : m.kind}`);
      return m.result;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill(), 2000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        if (child.connected) child.send({ kind: 'exit' });
        else child.kill();
      }),
  };
}

if (require.main === module) {
  const [seconds, connections] = process.argv.slice(2).map(Number);
  runHttpBench({
    durationSeconds: Number.isFinite(seconds) ? seconds : undefined,
    connections: Number.isFinite(connections) ? connections : undefined,
  })
    .then((r) => {
      httpBenchLines(r).forEach((line) => console.log(line));
      console.log(JSON.stringify(r));
    })
    .catch((e: unknown) => {
      console.error(`http bench failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    });
}
