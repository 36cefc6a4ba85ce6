/**
 * A bounded soak of the whole federation on loopback: `npx tsx scripts/soak.ts [--minutes 3]
 * [--concurrency 8] [--max-requests 200000] [--sync-seconds 1]`.
 *
 * Starts the embedded federation in memory (three provinces, sync every second), then until the
 * time or the request budget runs out: issues codes at each province, verifies them at the others,
 * revokes some, and midway rotates two provinces' issuer keys through the real rotation
 * (functions/province/rotation.ts): Zhejiang's old key is revoked as `superseded`, Guangdong's as
 * `compromised`. At the end it waits for a final sync and verifies every code once more at another
 * province, comparing with what it must be (valid, CODE_REVOKED, KEY_REVOKED). Prints progress
 * every 10 s and a report; exits 1 on any mismatch or unexpected error. Loopback only, stops by
 * itself.
 *
 * The province nodes run the very handlers `buildHandlers` wires (from the route table), over
 * dependencies built here the way wiring.ts builds them, with one difference: each node also holds
 * its next issuer key, so the rotation's switch of the active key is exercised end to end.
 */
// Quiet logs and no EMF metric lines: the report is the output (functions/aws/observability.ts).
import '../bench/quiet'; // first: before any domain module loads
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Jwks } from '../functions/core/schemas/types.gen';
import type { Signer } from '../functions/core/signer';
import type { FederationContext, ServiceHandlersMap } from '../functions/embedded/federation';
import type { ProvinceDeps } from '../functions/province/deps';
import { percentile } from '../bench/stats';

// The domain modules read their logging configuration when loaded: load them after the env is set.
/* eslint-disable @typescript-eslint/no-require-imports */
const { generateSigningKey } = require('../functions/core/keys') as typeof import('../functions/core/keys');
const { LocalKeySigner } = require('../functions/core/signer') as typeof import('../functions/core/signer');
const { signerFromKeyFile } = require('../functions/core/files') as typeof import('../functions/core/files');
const { startFederation } =
  require('../functions/embedded/federation') as typeof import('../functions/embedded/federation');
const { buildHandlers, handlersOf, localFederationId, provision } =
  require('../functions/embedded/wiring') as typeof import('../functions/embedded/wiring');
const { createProvinceDeps } =
  require('../functions/province/deps') as typeof import('../functions/province/deps');
const { revokeKey } =
  require('../functions/province/exchange-client') as typeof import('../functions/province/exchange-client');
const { rotateKey } =
  require('../functions/province/rotation') as typeof import('../functions/province/rotation');
/* eslint-enable @typescript-eslint/no-require-imports */

// ------------------------------------------------------------------------------------------------
// Options

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} needs a positive number`);
    process.exit(2);
  }
  return value;
}

const MINUTES = option('minutes', 3);
const CONCURRENCY = Math.floor(option('concurrency', 8));
const MAX_REQUESTS = Math.floor(option('max-requests', 200_000));
const SYNC_SECONDS = option('sync-seconds', 1);
const HOLDERS = [
  { name: '张三', idType: '10', idNumber: '11010519491231002X' },
  { name: '李四', idType: '20', idNumber: 'E12345678' },
];

// ------------------------------------------------------------------------------------------------
// The federation, with nodes that also hold their next issuer key

const nextKeys: Record<string, Signer> = {};
const provinceDeps: Record<string, ProvinceDeps> = {};

/** The federation id of the run (set once the federation key is loaded). */
let federationId = '';

/** The real handlers for the exchange; the province handlers over deps that know the next key. */
async function soakHandlers(context: FederationContext): Promise<ServiceHandlersMap> {
  const real = await buildHandlers(context); // also prepares `provision`
  const federation = await signerFromKeyFile(join(context.keysDir, 'federation.jwk.json'));
  federationId = localFederationId(federation.kid);
  const jwks = { keys: [{ ...federation.publicJwk, kid: federation.kid, alg: federation.alg, use: 'sig' }] };
  const provinces: Record<string, ServiceHandlersMap['provinces'][string]> = {};
  for (const p of context.provinces) {
    const next = await generateSigningKey('ES256');
    nextKeys[p.region] = await LocalKeySigner.fromPrivateJwk(next.privateJwk);
    const deps = createProvinceDeps({
      region: p.region,
      federationId,
      client: context.client,
      tableName: p.tableName,
      issuerSigners: [
        await signerFromKeyFile(join(context.keysDir, `${p.region}-issuer.jwk.json`)),
        nextKeys[p.region],
      ],
      enrollmentSigner: await signerFromKeyFile(join(context.keysDir, `${p.region}-enrollment.jwk.json`)),
      exchangeUrl: context.exchange.url,
      federationJwks: jwks as Jwks,
      activeKeyCacheMs: 1_000,
      registryCheckMs: 500,
    });
    provinceDeps[p.region] = deps;
    // The same wiring as the embedded runtime (route table → handler modules), over these deps.
    provinces[p.region] = {
      ...handlersOf('province', deps),
      extraRoutes: real.provinces[p.region]?.extraRoutes,
    };
  }
  return { exchange: real.exchange, provinces };
}

// ------------------------------------------------------------------------------------------------
// Bookkeeping

type Kind = 'issue' | 'verify' | 'revoke' | 'final-verify' | 'rotate';

interface Stat {
  count: number;
  errors: number;
  latencies: number[];
}
const stats = new Map<Kind, Stat>();
const errorSamples: string[] = [];
let requests = 0;

function record(kind: Kind, ms: number, ok: boolean, detail: string): void {
  const s = stats.get(kind) ?? { count: 0, errors: 0, latencies: [] };
  stats.set(kind, s);
  s.count++;
  s.latencies.push(ms);
  if (!ok) {
    s.errors++;
    if (errorSamples.length < 20) errorSamples.push(`${kind}: ${detail}`);
  }
}

interface Issued {
  readonly code: string;
  readonly codeId: string;
  readonly region: string;
  readonly kid: string;
  readonly iat: number;
  /** true once a revoke answered 200; undefined while unknown (a revoke that failed). */
  revoked: boolean | undefined;
}
const codes: Issued[] = [];

interface KeyRevocation {
  readonly region: string;
  readonly kid: string;
  readonly reason: 'superseded' | 'compromised';
  readonly revokedAt: number;
}
const keyRevocations: KeyRevocation[] = [];

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
const decode = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));

// ------------------------------------------------------------------------------------------------
// Requests

type Province = { region: string; url: string; internalToken: string };

async function timed(
  kind: Kind,
  url: string,
  init: RequestInit,
  expected: number,
): Promise<{ status: number; body: unknown } | undefined> {
  requests++;
  const t0 = performance.now();
  try {
    const res = await fetch(url, init);
    const text = await res.text();
    const ms = performance.now() - t0;
    record(kind, ms, res.status === expected, `${res.status} ${text.slice(0, 120)}`);
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch (e) {
    record(kind, performance.now() - t0, false, (e as Error).message);
    return undefined;
  }
}

async function issue(p: Province): Promise<void> {
  const res = await timed(
    'issue',
    `${p.url}/v1/codes`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${p.internalToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ holder: pick(HOLDERS), status: pick(['green', 'green', 'yellow', 'red']) }),
    },
    201,
  );
  if (res?.status !== 201) return;
  const { code, codeId } = res.body as { code: string; codeId: string };
  const [header, payload] = code.slice(5).split('.');
  codes.push({
    code,
    codeId,
    region: p.region,
    kid: decode(header).kid,
    iat: decode(payload).iat,
    revoked: false,
  });
}

async function verify(p: Province, code: string, kind: Kind = 'verify') {
  const res = await timed(
    kind,
    `${p.url}/v1/codes/verify`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) },
    200,
  );
  return res?.status === 200 ? (res.body as { result: string; reasons: { code: string }[] }) : undefined;
}

async function revoke(provinces: readonly Province[]): Promise<void> {
  const candidates = codes.filter((c) => c.revoked === false);
  if (candidates.length === 0) return;
  const c = pick(candidates);
  const p = provinces.find((x) => x.region === c.region) as Province;
  c.revoked = undefined; // unknown until answered
  const res = await timed(
    'revoke',
    `${p.url}/v1/codes/${c.codeId}/revoke`,
    { method: 'POST', headers: { authorization: `Bearer ${p.internalToken}` } },
    200,
  );
  if (res?.status === 200) c.revoked = true;
}

/** Rotate `region`'s issuer key to its next key; the old one revoked as `reason`. */
async function rotate(region: string, reason: 'superseded' | 'compromised'): Promise<void> {
  const deps = provinceDeps[region];
  const oldKid = (await deps.issuer.activeSigner()).kid;
  const enrollmentSigner = await deps.enrollmentSigner();
  const t0 = performance.now();
  try {
    const common = {
      region,
      federationId,
      exchange: deps.exchange,
      enrollmentSigner,
      newSigner: nextKeys[region],
      repository: deps.repository,
      federationKeys: deps.federationKeys,
      waitUntilVisible: { intervalMs: 200, timeoutMs: 30_000 },
      switchGraceMs: 2_500, // more than the nodes' 1 s active-key cache
    };
    if (reason === 'superseded') {
      const result = await rotateKey({ ...common, oldKid });
      keyRevocations.push({ region, kid: oldKid, reason, revokedAt: result.revokedAt as number });
    } else {
      // Compromise: switch first (so no code is signed with it afterwards), then revoke it as such.
      await rotateKey(common);
      await new Promise((resolve) => setTimeout(resolve, common.switchGraceMs));
      const revokedAt = deps.now();
      const ctx = {
        exchange: deps.exchange,
        enrollmentSigner,
        region,
        federationId,
        now: deps.now,
      };
      await revokeKey(ctx, oldKid, 'compromised', revokedAt);
      keyRevocations.push({ region, kid: oldKid, reason, revokedAt });
    }
    record('rotate', performance.now() - t0, true, '');
  } catch (e) {
    record('rotate', performance.now() - t0, false, `${region} ${(e as Error).name}`);
  }
}

/** The reasons a code must be refused for at the end (empty: valid), in the verifier's order. */
function expectedReasons(c: Issued): string[] {
  const reasons: string[] = [];
  const k = keyRevocations.find((r) => r.kid === c.kid);
  if (k && (k.reason === 'compromised' || c.iat >= k.revokedAt)) reasons.push('KEY_REVOKED');
  if (c.revoked) reasons.push('CODE_REVOKED');
  return reasons;
}

// ------------------------------------------------------------------------------------------------
// The run

async function main(): Promise<number> {
  const started = Date.now();
  console.log(
    `soak: ${MINUTES} min, concurrency ${CONCURRENCY}, at most ${MAX_REQUESTS} requests, sync every ${SYNC_SECONDS} s`,
  );
  const fed = await startFederation({
    memory: true,
    port: 0,
    syncIntervalSeconds: SYNC_SECONDS,
    sweepIntervalSeconds: 3600,
    buildHandlers: soakHandlers,
    provision,
  });
  const provinces = fed.state.provinces as readonly Province[];
  console.log(
    `federation up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${provinces.map((p) => p.region).join(', ')}`,
  );

  const durationMs = MINUTES * 60_000;
  const t0 = Date.now();
  const deadline = t0 + durationMs;
  const running = () => Date.now() < deadline && requests < MAX_REQUESTS;

  const progress = setInterval(() => {
    const by = [...stats.entries()].map(([k, s]) => `${k} ${s.count}`).join(', ');
    const errors = [...stats.values()].reduce((n, s) => n + s.errors, 0);
    console.log(
      `[${Math.round((Date.now() - t0) / 1000)} s] ${by}; codes ${codes.length}; errors ${errors}; key revocations ${keyRevocations.length}`,
    );
  }, 10_000);

  // Rotations at a third and two thirds of the run, beside the load.
  const rotations = (async () => {
    await new Promise((resolve) => setTimeout(resolve, durationMs / 3));
    if (running()) await rotate(provinces[0].region, 'superseded');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + (2 * durationMs) / 3 - Date.now())));
    if (running() && provinces[1]) await rotate(provinces[1].region, 'compromised');
  })();

  const worker = async () => {
    while (running()) {
      const r = Math.random();
      if (r < 0.3 || codes.length < 10) await issue(pick(provinces));
      else if (r < 0.92) {
        const c = pick(codes);
        await verify(pick(provinces.filter((p) => p.region !== c.region)), c.code);
      } else await revoke(provinces);
    }
  };
  await Promise.all([...Array.from({ length: CONCURRENCY }, worker), rotations]);
  clearInterval(progress);

  // Final: wait until every node's replica holds the exchange's current version, then past the
  // verifiers' replica check interval, and check every code at another province.
  const exchangeVersion = async () => {
    const jws = await (await fetch(`${fed.state.exchangeUrl}/v1/trust-list`)).text();
    return (decode(jws.split('.')[1]) as { version: number }).version;
  };
  const replicaVersion = async (p: Province) =>
    (
      (await (
        await fetch(`${p.url}/v1/registry`, { headers: { authorization: `Bearer ${p.internalToken}` } })
      ).json()) as { version: number }
    ).version;
  const target = await exchangeVersion();
  const syncStarted = Date.now();
  for (;;) {
    await fed.runScheduled();
    const versions = await Promise.all(provinces.map(replicaVersion));
    if (versions.every((v) => v === target)) break;
    if (Date.now() - syncStarted > 30_000) {
      console.log(`final sync: replicas ${versions.join(', ')} never reached version ${target}`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const finalSyncMs = Date.now() - syncStarted;
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // past the verifiers' 500 ms check
  let mismatches = 0;
  const mismatchSamples: string[] = [];
  let uncertain = 0;
  let queue = 0;
  const finalWorker = async () => {
    while (queue < codes.length) {
      const c = codes[queue++];
      if (c.revoked === undefined) {
        uncertain++;
        continue;
      }
      const at = provinces[(provinces.findIndex((p) => p.region === c.region) + 1) % provinces.length];
      const result = await verify(at, c.code, 'final-verify');
      const want = expectedReasons(c);
      const got = result ? result.reasons.map((x) => x.code) : ['NO_ANSWER'];
      const ok = result?.result === (want.length === 0 ? 'valid' : 'invalid') && got.join() === want.join();
      if (!ok) {
        mismatches++;
        if (mismatchSamples.length < 10)
          mismatchSamples.push(`${c.region} code: want [${want}] got ${result?.result} [${got}]`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, finalWorker));
  const registries: string[] = [];
  for (const p of provinces) {
    const r = (await (
      await fetch(`${p.url}/v1/registry`, { headers: { authorization: `Bearer ${p.internalToken}` } })
    ).json()) as { version: number; lastSync: { result: string; error?: string } | null };
    registries.push(
      `${p.region} v${r.version} ${r.lastSync?.result}${r.lastSync?.error ? ` ${r.lastSync.error}` : ''}`,
    );
  }
  await fed.close();

  // Report
  const byExpectation = new Map<string, number>();
  for (const c of codes) {
    if (c.revoked === undefined) continue;
    const key = expectedReasons(c).join('+') || 'valid';
    byExpectation.set(key, (byExpectation.get(key) ?? 0) + 1);
  }
  const afterRevocation = codes.filter((c) =>
    keyRevocations.some((k) => k.kid === c.kid && k.reason === 'superseded' && c.iat >= k.revokedAt),
  ).length;
  const unexpected = [...stats.values()].reduce((n, s) => n + s.errors, 0);
  const seconds = (Date.now() - t0) / 1000;
  console.log('');
  console.log(`soak report (${seconds.toFixed(0)} s of load + final check, concurrency ${CONCURRENCY})`);
  console.log('  kind          requests  errors   p50 ms   p99 ms');
  for (const kind of ['issue', 'verify', 'revoke', 'rotate', 'final-verify'] as Kind[]) {
    const s = stats.get(kind);
    if (!s) continue;
    console.log(
      `  ${kind.padEnd(12)} ${String(s.count).padStart(9)} ${String(s.errors).padStart(7)} ${percentile(s.latencies, 50).toFixed(1).padStart(8)} ${percentile(s.latencies, 99).toFixed(1).padStart(8)}`,
    );
  }
  console.log(`  total requests ${requests} (${(requests / seconds).toFixed(1)}/s)`);
  console.log(
    `  codes issued ${codes.length}; final expectations: ${[...byExpectation].map(([k, n]) => `${k} ${n}`).join(', ')}`,
  );
  console.log(
    `  key revocations: ${keyRevocations.map((k) => `${k.region} ${k.reason}`).join(', ') || 'none'}; codes signed by a superseded key after its revocation: ${afterRevocation}`,
  );
  console.log(
    `  replicas at the end: ${registries.join('; ')} (exchange v${target}, final sync ${finalSyncMs} ms)`,
  );
  console.log(`  codes left out of the final check (revoke answer unknown): ${uncertain}`);
  console.log(`  unexpected errors: ${unexpected}`);
  for (const e of errorSamples) console.log(`    ${e}`);
  console.log(`  mismatches: ${mismatches}`);
  for (const m of mismatchSamples) console.log(`    ${m}`);
  const expectedRotations = MINUTES > 0 ? 2 : 0;
  const failed = mismatches > 0 || unexpected > 0 || keyRevocations.length < expectedRotations;
  console.log(failed ? 'SOAK FAILED' : 'SOAK PASSED');
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error('soak aborted:', (e as Error)?.stack ?? e);
    process.exit(1);
  },
);
