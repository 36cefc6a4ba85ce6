/**
 * Cold start: bundles every handler the way the CDK stacks do (`NodejsFunction` with esbuild:
 * `BUNDLING` from lib/constructs/bundling.ts: minified, CommonJS, ESM entry points first, source
 * maps, `@aws-sdk/*` left to the runtime, the packages loaded on first use as side bundles next to
 * the bundle: lib/constructs/side-bundles.ts) and measures, in fresh Node processes, each bundle's size
 * and its cold initialisation, against an empty middy handler bundled the same way in the same run.
 * Second references: the empty handler creating the same AWS SDK clients as a function (DynamoDB,
 * and KMS, S3 or Secrets Manager where its deployed environment names them). No handler creating
 * those clients can start faster, so `+ own ms` (init over that floor) is what hcx's own code costs.
 *
 * Init time is what Lambda reports as Init Duration: from the start of the Node process until the
 * handler module is loaded and, when the module exports `create` and `fromEnv`, the handler is
 * built (`create(fromEnv())` with the environment its stack deploys it with, tokens as
 * placeholders; no I/O). Then the probe invokes the handler once, because Lambda bills (and a user
 * waits for) init plus the first invocation: code loaded lazily still counts there. That
 * invocation is a well-formed request of the function's route (a code to verify, an issue request,
 * signed requests from an unknown key…), and every AWS or exchange endpoint points at a closed
 * local port, so it runs the real code path up to its first I/O, which fails at once, offline (the
 * `status` column says how: 5xx when the dependency call failed, 4xx when refused before any I/O).
 * Median of `runs` processes, with `NODE_OPTIONS` as deployed.
 *
 * The goal figure (`+ own CPU`, `maxOverSdkFloorMs`) is CPU time, not wall time, and only of what
 * differs. A function's probe and its SDK floor's probe both first load the SDK packages of the
 * floor (the same modules, in the same order), then measure the CPU (`process.cpuUsage()`, every
 * thread) from there until the handler is built; the row's figure is the median of the per-round
 * differences. Loading the SDK (100–200 ms of CPU, the same on both sides) is left out of the
 * window: on the shared 2-core machine any CPU figure varies by ±10% with the load, and ±10% of
 * 20 ms is less noise than ±10% of 200 ms. Wall-clock differences are worse: a process waits for a
 * core for as long as it computes, so they grow with the load average (2–3× at a load of 5, and
 * hundreds of ms either way at 10). On an idle core (a Lambda instance during init) CPU and wall
 * time agree: init does no I/O but reading files from the page cache. The whole-process figures
 * stay in the table (`init ms`, `init CPU`, `× empty`) and in `overSdkFloorWallMs`.
 *
 *   npx tsx bench/cold-start.ts        # table, then one JSON line
 *
 * `runColdStartBench()` is what `bench/run.ts` calls.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { issueCode } from '../functions/core/code/issue';
import { generateSigningKey } from '../functions/core/keys';
import type { IssueRequest, SignedRequestPayload } from '../functions/core/schemas/types.gen';
import { signRequest } from '../functions/core/signed-request';
import { LocalKeySigner } from '../functions/core/signer';
import { routeEvent } from '../functions/embedded/event';
import { handlerEntry, ROUTES, SCHEDULED, type RouteDefinition } from '../functions/routes';
import { type FederationConfig, loadFederationConfig } from '../lib/config/federation-config';
import { BUNDLING, NODE_OPTIONS, PROJECT_ROOT } from '../lib/constructs/bundling';
import { lazyImports, writeSideBundles } from '../lib/constructs/side-bundles';
import { functionEnvironments } from '../lib/function-environments';
import { median } from './stats';

/** One measured bundle. */
export interface ColdStartRow {
  readonly fn: string;
  /** Size of the bundle (`index.js`): what every cold start reads and parses. */
  readonly bundleKB: number;
  /** Total size of the side bundles it loads on first use only (lib/constructs/side-bundles.ts). */
  readonly lazyKB: number;
  /** Median ms from process start to a loaded (and, when possible, built) handler. */
  readonly initMs: number;
  /** Median ms spent in `require` + construction alone. */
  readonly loadMs: number;
  /** Median ms of the first invocation (see the file comment for what it runs). */
  readonly firstMs: number;
  /** Median ms from process start to the end of the first invocation. */
  readonly initFirstMs: number;
  /** Median CPU ms (every thread of the process) from process start to a loaded and built handler. */
  readonly initCpuMs: number;
  /** What the first invocation answered: an HTTP status, `ok` (scheduled) or `threw <name>`. */
  readonly status: string;
  /** Whether the handler could be built (`create` and `fromEnv` exported). */
  readonly constructed: boolean;
  /** `initMs` over the empty handler's (median of the per-round ratios). */
  readonly ratio: number;
  /** `initFirstMs` over the empty handler's (median of the per-round ratios). */
  readonly firstRatio: number;
  /** The AWS SDK clients the function creates (read off its deployed environment), e.g. `DynamoDB+KMS`. */
  readonly sdk: string;
  /**
   * The CPU from loaded SDK packages to the built handler, minus the same for the empty handler
   * creating the same SDK clients, probed in the same rounds (median of the per-round
   * differences): this code's own cost (see the file comment).
   */
  readonly overSdkFloorMs: number;
  /** The same difference in wall-clock time (grows with the machine's load; see the file comment). */
  readonly overSdkFloorWallMs: number;
  /** Why the bundle or its initialisation failed, if it did. */
  readonly error?: string;
}

export interface ColdStartResult {
  readonly maxBundleKB: number;
  readonly maxColdInitRatio: number;
  /** The largest (init + first invocation) over the empty handler's. */
  readonly maxColdFirstRatio: number;
  readonly baseline: {
    readonly bundleKB: number;
    readonly initMs: number;
    readonly initFirstMs: number;
    readonly initCpuMs: number;
  };
  /**
   * The empty handler plus the SDK clients of a function (one entry per distinct set): what no
   * handler creating those clients can go below.
   */
  readonly sdkFloors: readonly {
    readonly sdk: string;
    readonly bundleKB: number;
    readonly initMs: number;
    readonly initCpuMs: number;
    readonly ratio: number;
  }[];
  /** The largest {@link ColdStartRow.overSdkFloorMs} (CPU ms): the goal figure. */
  readonly maxOverSdkFloorMs: number;
  /**
   * How many functions are within {@link GOAL_OVER_SDK_FLOOR_MS}, as `n/of`: with run-to-run noise of
   * a few ms per function, the largest of 28 medians sits above the typical one (docs/deploy.md#cold-start).
   */
  readonly withinGoalOverSdkFloor: string;
  /** The median over functions of {@link ColdStartRow.overSdkFloorMs}. */
  readonly medianOverSdkFloorMs: number;
  /** The largest {@link ColdStartRow.overSdkFloorWallMs}. */
  readonly maxOverSdkFloorWallMs: number;
  readonly rows: readonly ColdStartRow[];
}

export interface ColdStartOptions {
  /** Rounds per bundle; medians are reported. @default 11 */
  readonly runs?: number;
  /** Print the table to stdout. @default true */
  readonly print?: boolean;
  /** Measure only these functions (e.g. `['province-verify']`, to study one). @default every function */
  readonly only?: readonly string[];
}

// A closed port: connecting fails at once, without leaving the machine.
const NOWHERE = 'http://127.0.0.1:9';

// What every probe gets besides its function's deployed environment (see `deployedEnvironments`):
// credentials and a closed endpoint, so that every AWS call is refused at once, offline.
const PROBE_ENV: Record<string, string> = {
  AWS_ENDPOINT_URL: NOWHERE,
  AWS_MAX_ATTEMPTS: '1',
  AWS_REGION: 'ap-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHCOLDSTART00',
  AWS_SECRET_ACCESS_KEY: 'bench-cold-start-not-a-secret',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

/**
 * Each function's environment as its stack deploys it (tokens as placeholders), so a handler is
 * measured with exactly the services it is given; the exchange URL points at the closed port.
 */
function deployedEnvironments(config: FederationConfig): Map<string, Record<string, string>> {
  const byFn = new Map<string, Record<string, string>>();
  for (const { fn, env } of functionEnvironments(config)) {
    if (!byFn.has(fn)) byFn.set(fn, { ...env, ...('EXCHANGE_URL' in env ? { EXCHANGE_URL: NOWHERE } : {}) });
  }
  return byFn;
}

// Runs in the fresh process: load, build when possible, invoke once, report on the last line.
// `performance.now()` counts from process start.
const PROBE = `
(async () => {
  for (const m of JSON.parse(process.argv[3] || '[]')) require(m);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const mod = require(process.argv[1]);
  if (typeof mod.handler !== 'function') throw new Error('no handler export');
  const canBuild = typeof mod.create === 'function' && typeof mod.fromEnv === 'function';
  const fn = canBuild ? mod.create(mod.fromEnv()) : mod.handler;
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const context = {
    functionName: 'bench', functionVersion: '$LATEST', memoryLimitInMB: '1024',
    invokedFunctionArn: 'arn:aws:lambda:ap-east-1:111111111111:function:bench',
    awsRequestId: 'bench-request', logGroupName: '/aws/lambda/bench', logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 30000,
  };
  let status;
  try {
    const r = await fn(JSON.parse(process.argv[2]), context);
    status = r && typeof r === 'object' && 'statusCode' in r ? String(r.statusCode) : 'ok';
  } catch (e) {
    status = 'threw ' + (e && e.name);
  }
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  const cpuMs = (c) => (c.user + c.system) / 1000;
  process.stdout.write('\\n' + JSON.stringify({ initMs: t1, loadMs: t1 - t0, initFirstMs: t2, initCpuMs: cpuMs(c1), initFirstCpuMs: cpuMs(c2), ownCpuMs: cpuMs(c1) - cpuMs(c0), status, constructed: canBuild }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const EMPTY_MIDDY = `import middy from '@middy/core';
export const handler = middy(async () => ({ statusCode: 200 }));
`;

/** An AWS SDK client a function may create, and the deployed variable that says it does. */
interface SdkClient {
  readonly name: string;
  readonly usedBy: (env: Record<string, string>) => boolean;
  readonly imports: string;
  readonly create: string;
  /** The packages `imports` loads. */
  readonly packages: readonly string[];
}

const SDK_CLIENTS: readonly SdkClient[] = [
  {
    name: 'DynamoDB',
    usedBy: (env) => 'TABLE_NAME' in env,
    imports:
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
    create: 'DynamoDBDocumentClient.from(new DynamoDBClient({}))',
    packages: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'],
  },
  {
    name: 'KMS',
    usedBy: (env) => Object.keys(env).some((k) => k.endsWith('_KMS_KEY_ID')),
    imports: "import { KMSClient } from '@aws-sdk/client-kms';",
    create: 'new KMSClient({})',
    packages: ['@aws-sdk/client-kms'],
  },
  {
    name: 'S3',
    usedBy: (env) => 'TRUST_LIST_BUCKET' in env,
    imports: "import { S3Client } from '@aws-sdk/client-s3';",
    create: 'new S3Client({})',
    packages: ['@aws-sdk/client-s3'],
  },
  {
    name: 'SecretsManager',
    usedBy: (env) => 'ENROLLMENT_KEY_SECRET_ARN' in env,
    imports: "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
    create: 'new SecretsManagerClient({})',
    packages: ['@aws-sdk/client-secrets-manager'],
  },
];

/** The empty handler plus `clients`: the floor of any handler that creates them. */
function sdkFloorSource(clients: readonly SdkClient[]): string {
  return [
    "import middy from '@middy/core';",
    ...clients.map((c) => c.imports),
    `const clients = [${clients.map((c) => c.create).join(', ')}];`,
    'export const handler = middy(async () => ({ statusCode: clients.length >= 0 ? 200 : 500 }));',
    '',
  ].join('\n');
}

/** A well-formed request body for each function taking one, and its content type. */
interface FirstBody {
  readonly body: string;
  readonly contentType: string;
}

/**
 * Well-formed requests, so that the first invocation runs past validation to the function's first
 * I/O: a code signed by a fresh key (its kid is then looked up), an issue request, a registration,
 * and signed requests of each operation from a key the exchange has never seen.
 */
async function firstBodies(federationId: string): Promise<Map<string, FirstBody>> {
  const key = await generateSigningKey('ES256');
  const signer = await LocalKeySigner.fromPrivateJwk(key.privateJwk);
  const now = Math.floor(Date.now() / 1000);
  const issueRequest: IssueRequest = {
    holder: { name: '张三', idType: '10', idNumber: '11010519491231002X' },
    status: 'green',
  };
  const { code, codeId } = await issueCode(signer, issueRequest, { issuer: PATH_PARAMS.region, now });
  const signed = async (operation: Record<string, unknown>): Promise<FirstBody> => ({
    body: await signRequest(signer, {
      aud: federationId,
      iat: now,
      jti: randomBytes(16).toString('base64url'),
      region: PATH_PARAMS.region,
      ...operation,
    } as SignedRequestPayload),
    contentType: 'application/jose',
  });
  const json = (value: unknown): FirstBody => ({
    body: JSON.stringify(value),
    contentType: 'application/json',
  });
  return new Map([
    ['province-issue', json(issueRequest)],
    ['province-verify', json({ code })],
    [
      'exchange-register-province',
      json({ region: PATH_PARAMS.region, name: 'Zhejiang', enrollmentKey: key.publicJwk }),
    ],
    [
      'exchange-publish-key',
      await signed({
        op: 'key.publish',
        key: key.publicJwk,
        alg: 'ES256',
        notBefore: now,
        notAfter: now + 86_400,
      }),
    ],
    [
      'exchange-revoke-key',
      await signed({ op: 'key.revoke', kid: key.kid, reason: 'superseded', revokedAt: now }),
    ],
    [
      'exchange-revoke-codes',
      await signed({ op: 'code.revoke', codes: [{ jti: codeId, exp: now + 86_400 }] }),
    ],
  ]);
}

/** Every handler (name and entry file), with the event its probe invokes it with (see the file comment). */
async function handlerEvents(federationId: string): Promise<{ fn: string; entry: string; event: unknown }[]> {
  const bodies = await firstBodies(federationId);
  const http = ROUTES.map((r) => ({
    fn: r.fn,
    entry: handlerEntry(r),
    event: httpEvent(r, bodies.get(r.fn)),
  }));
  const scheduled = SCHEDULED.map((s) => ({
    fn: s.fn,
    entry: handlerEntry(s),
    event: { version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
  }));
  const seen = new Set<string>();
  return [...http, ...scheduled].filter((h) => !seen.has(h.fn) && seen.add(h.fn));
}

// Well-formed placeholders for path parameters.
const PATH_PARAMS: Record<string, string> = {
  region: '330000',
  kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
  codeId: 'AAECAwQFBgcICQoLDA0ODw',
};

/**
 * An API Gateway HTTP API (payload 2.0) request with no credentials and, for POST, `first` (or `{}`)
 * as body, built by the embedded stand-in's event builder. IAM routes answer only a session of their
 * caller role (the placeholder the environment names).
 */
function httpEvent(route: RouteDefinition, first?: FirstBody): unknown {
  const body =
    route.method === 'POST' ? (first ?? { body: '{}', contentType: 'application/json' }) : undefined;
  return routeEvent(route, {
    pathParameters: PATH_PARAMS,
    headers: { host: 'bench.invalid', ...(body ? { 'content-type': body.contentType } : {}) },
    body: body?.body,
    sourceIp: '192.0.2.1',
    requestId: 'bench-request',
    now: new Date(1767225600000),
    authorizer: {
      token: '',
      name: 'bench',
      arn: 'arn:aws:sts::111111111111:assumed-role/placeholder-caller/bench',
    },
  });
}

// The bundles must run on this machine's Node; Lambda gets `BUNDLING.target`.
const target = `node${process.versions.node.split('.')[0]}`;

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Bundles one entry (a file, or source text for the baseline) as `NodejsFunction` would, with the
 * side bundles `HcxFunction` adds (lib/constructs/side-bundles.ts) in `node_modules/` next to it
 * (shared by every bundle of the run: the same files whichever function needs them). Returns the
 * size of the bundle and the total of its side bundles, in KB.
 */
async function bundle(
  outfile: string,
  entry: { file: string } | { source: string },
): Promise<{ bundleKB: number; lazyKB: number }> {
  const { metafile } = await build({
    mainFields: [...BUNDLING.mainFields],
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.source, resolveDir: PROJECT_ROOT, loader: 'ts' as const } }),
    outfile,
    bundle: true,
    platform: 'node',
    target,
    format: 'cjs',
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    external: [...BUNDLING.externalModules],
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: PROJECT_ROOT,
  });
  const side = await writeSideBundles(path.dirname(outfile), lazyImports(metafile), target);
  return {
    bundleKB: statSync(outfile).size / 1024,
    lazyKB: side.reduce((sum, s) => sum + s.bytes, 0) / 1024,
  };
}

interface Sample {
  readonly initMs: number;
  readonly loadMs: number;
  readonly initFirstMs: number;
  readonly initCpuMs: number;
  readonly initFirstCpuMs: number;
  /** CPU ms from after the SDK packages were loaded (`preload`) to the built handler. */
  readonly ownCpuMs: number;
  readonly status: string;
  readonly constructed: boolean;
}

/** One fresh process: load, build, first invocation of `event`. */
function probe(
  bundleFile: string,
  event: unknown,
  nodeOptions: string,
  env: Record<string, string>,
  preload: readonly string[] = [],
): Sample {
  const child = spawnSync(
    process.execPath,
    ['-e', PROBE, bundleFile, JSON.stringify(event), JSON.stringify(preload)],
    {
      env: {
        ...env,
        ...PROBE_ENV,
        NODE_OPTIONS: nodeOptions,
        PATH: process.env.PATH ?? '',
        NODE_PATH: path.join(PROJECT_ROOT, 'node_modules'),
      },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  if (child.status !== 0) throw new Error((child.stderr || 'init failed').trim().split('\n').slice(-1)[0]);
  return JSON.parse(child.stdout.trim().split('\n').slice(-1)[0]) as Sample;
}

/** The empty handler, probed next to every measured bundle. */
interface Baseline {
  readonly file: string;
  readonly event: unknown;
  /** Every baseline sample taken in the run (for the baseline row). */
  readonly samples: Sample[];
}

/**
 * `runs` rounds of: the empty handler, the bundle as deployed and, when given, the SDK floor, each
 * in a fresh process. Ratios and differences are medians of the per-round ones, so that a moment of
 * load on the shared machine weighs on both sides instead of on one row.
 */
function measure(
  bundleFile: string,
  event: unknown,
  runs: number,
  env: Record<string, string>,
  base: Baseline,
  floor?: { readonly file: string; readonly preload: readonly string[] },
) {
  const overFloorCpu: number[] = [];
  const overFloorWall: number[] = [];
  const deployed: Sample[] = [];
  const ratios: number[] = [];
  const firstRatios: number[] = [];
  for (let i = 0; i < runs; i++) {
    const b = probe(base.file, base.event, NODE_OPTIONS, {});
    base.samples.push(b);
    const d = probe(bundleFile, event, NODE_OPTIONS, env, floor?.preload);
    deployed.push(d);
    ratios.push(d.initMs / b.initMs);
    if (floor) {
      const f = probe(floor.file, base.event, NODE_OPTIONS, {}, floor.preload);
      overFloorCpu.push(d.ownCpuMs - f.ownCpuMs);
      overFloorWall.push(d.initMs - f.initMs);
    }
    firstRatios.push(d.initFirstMs / b.initFirstMs);
  }
  return {
    initMs: median(deployed.map((s) => s.initMs)),
    loadMs: median(deployed.map((s) => s.loadMs)),
    initFirstMs: median(deployed.map((s) => s.initFirstMs)),
    firstMs: median(deployed.map((s) => s.initFirstMs - s.initMs)),
    initCpuMs: median(deployed.map((s) => s.initCpuMs)),
    status: deployed[0].status,
    constructed: deployed[0].constructed,
    ratio: round(median(ratios), 2),
    firstRatio: round(median(firstRatios), 2),
    overFloorMs: overFloorCpu.length ? round(median(overFloorCpu)) : NaN,
    overFloorWallMs: overFloorWall.length ? round(median(overFloorWall)) : NaN,
  };
}

/** Bundles and measures every handler and the empty middy baseline; prints a table unless told not to. */
export async function runColdStartBench(options: ColdStartOptions = {}): Promise<ColdStartResult> {
  const runs = options.runs ?? 11;
  const dir = mkdtempSync(path.join(tmpdir(), 'hcx-cold-start-'));
  try {
    const baselineFile = path.join(dir, 'empty-middy.js');
    const { bundleKB: baselineKB } = await bundle(baselineFile, { source: EMPTY_MIDDY });
    const base: Baseline = {
      file: baselineFile,
      event: httpEvent(
        ROUTES.find((r) => r.method === 'GET' && r.path === '/v1/federation') as RouteDefinition,
      ),
      samples: [],
    };
    const floors = new Map<
      string,
      {
        sdk: string;
        file: string;
        preload: readonly string[];
        bundleKB: number;
        initMs: number;
        initCpuMs: number;
        ratio: number;
      }
    >();
    /** The floor of `clients`, measured the first time a function needs it. */
    const floorOf = async (clients: readonly SdkClient[]) => {
      const sdk = clients.map((c) => c.name).join('+') || 'none';
      let floor = floors.get(sdk);
      if (!floor) {
        const file = path.join(dir, `floor-${sdk}.js`);
        const bundleKB = round((await bundle(file, { source: sdkFloorSource(clients) })).bundleKB);
        const m = measure(file, base.event, runs, {}, base);
        floor = {
          sdk,
          file,
          preload: clients.flatMap((c) => c.packages),
          bundleKB,
          initMs: round(m.initMs),
          initCpuMs: round(m.initCpuMs),
          ratio: m.ratio,
        };
        floors.set(sdk, floor);
      }
      return floor;
    };
    const rows: ColdStartRow[] = [];
    const config = loadFederationConfig(path.join(PROJECT_ROOT, 'federation.config.json'));
    const environments = deployedEnvironments(config);
    const events = (await handlerEvents(config.federationId)).filter(
      ({ fn }) => options.only === undefined || options.only.includes(fn),
    );
    for (const [i, { fn, entry, event }] of events.entries()) {
      if (options.print ?? true) process.stderr.write(`  ${i + 1}/${events.length} ${fn}\n`);
      const out = path.join(dir, `${fn}.js`);
      try {
        const { bundleKB, lazyKB } = await bundle(out, { file: path.join(PROJECT_ROOT, entry) });
        const env = environments.get(fn);
        if (!env) throw new Error(`no stack deploys ${fn}`);
        const floor = await floorOf(SDK_CLIENTS.filter((c) => c.usedBy(env)));
        const { overFloorMs, overFloorWallMs, ...m } = measure(out, event, runs, env, base, floor);
        rows.push({
          fn,
          bundleKB: round(bundleKB),
          lazyKB: round(lazyKB),
          ...m,
          sdk: floor.sdk,
          overSdkFloorMs: overFloorMs,
          overSdkFloorWallMs: overFloorWallMs,
        });
      } catch (error) {
        const message = (error as Error).message.split('\n')[0].slice(0, 200);
        rows.push({
          fn,
          bundleKB: NaN,
          lazyKB: NaN,
          initMs: NaN,
          loadMs: NaN,
          firstMs: NaN,
          initFirstMs: NaN,
          initCpuMs: NaN,
          status: 'failed',
          constructed: false,
          ratio: NaN,
          firstRatio: NaN,
          sdk: '',
          overSdkFloorMs: NaN,
          overSdkFloorWallMs: NaN,
          error: message,
        });
      }
    }
    const baseline = {
      bundleKB: round(baselineKB),
      initMs: round(median(base.samples.map((s) => s.initMs))),
      initFirstMs: round(median(base.samples.map((s) => s.initFirstMs))),
      initCpuMs: round(median(base.samples.map((s) => s.initCpuMs))),
    };
    const ok = rows.filter((r) => r.error === undefined);
    const result: ColdStartResult = {
      maxBundleKB: round(Math.max(0, ...ok.map((r) => r.bundleKB))),
      maxColdInitRatio: round(Math.max(0, ...ok.map((r) => r.ratio)), 2),
      maxColdFirstRatio: round(Math.max(0, ...ok.map((r) => r.firstRatio)), 2),
      baseline,
      sdkFloors: [...floors.values()].map(({ file: _file, preload: _preload, ...f }) => f),
      maxOverSdkFloorMs: round(Math.max(0, ...ok.map((r) => r.overSdkFloorMs))),
      withinGoalOverSdkFloor: `${ok.filter((r) => r.overSdkFloorMs <= GOAL_OVER_SDK_FLOOR_MS).length}/${rows.length}`,
      medianOverSdkFloorMs: ok.length ? round(median(ok.map((r) => r.overSdkFloorMs))) : NaN,
      maxOverSdkFloorWallMs: round(Math.max(0, ...ok.map((r) => r.overSdkFloorWallMs))),
      rows,
    };
    if (options.print ?? true) printTable(result, runs);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(result: ColdStartResult, runs: number): void {
  // The first column as wide as its longest label, the SDK column as its longest entry.
  const labels = [
    '(empty middy handler)',
    ...result.sdkFloors.map((f) => `(empty + ${f.sdk})`),
    ...result.rows.map((r) => r.fn),
  ];
  const first = Math.max(...labels.map((l) => l.length));
  const sdk = Math.max('SDK clients'.length, ...result.sdkFloors.map((f) => f.sdk.length));
  const line = (cols: (string | number)[]): string =>
    cols
      .map((c, i) => (i === 0 ? String(c).padEnd(first) : String(c).padStart(i === 10 ? sdk : 9)))
      .join(' ');
  const b = result.baseline;
  console.log(
    `cold start (median of ${runs} rounds, each a fresh process of the empty handler then of the bundle; Node ${process.versions.node}, NODE_OPTIONS=${JSON.stringify(NODE_OPTIONS)})`,
  );
  console.log(
    line([
      'handler',
      'KB',
      'lazy KB',
      'init ms',
      '× empty',
      'init CPU',
      '1st call',
      'init+1st',
      '× empty',
      'status',
      'SDK clients',
      '+ own CPU',
      '+ own wall',
    ]),
  );
  console.log(
    line([
      '(empty middy handler)',
      b.bundleKB,
      '',
      b.initMs,
      1,
      b.initCpuMs,
      round(b.initFirstMs - b.initMs),
      b.initFirstMs,
      1,
      '200',
      'none',
      '',
      '',
    ]),
  );
  for (const f of result.sdkFloors) {
    console.log(
      line([
        `(empty + ${f.sdk})`,
        f.bundleKB,
        '',
        f.initMs,
        f.ratio,
        f.initCpuMs,
        '',
        '',
        '',
        '',
        f.sdk,
        '',
        '',
      ]),
    );
  }
  for (const r of result.rows) {
    if (r.error) console.log(line([r.fn, 'FAILED', r.error]));
    else
      console.log(
        line([
          r.fn,
          r.bundleKB,
          r.lazyKB,
          round(r.initMs),
          r.ratio,
          round(r.initCpuMs),
          round(r.firstMs),
          round(r.initFirstMs),
          r.firstRatio,
          r.constructed ? r.status : `${r.status} (not built)`,
          r.sdk,
          r.overSdkFloorMs,
          r.overSdkFloorWallMs,
        ]),
      );
  }
  console.log(
    `max bundle ${result.maxBundleKB} KB (goal < ${GOAL_BUNDLE_KB}), max init ratio ${result.maxColdInitRatio}, ` +
      `max init + first invocation ratio ${result.maxColdFirstRatio}, ` +
      `at most ${result.maxOverSdkFloorMs} CPU ms over the empty handler creating the same SDK clients ` +
      `(goal <= ${GOAL_OVER_SDK_FLOOR_MS}: ${result.withinGoalOverSdkFloor} within it, median ${result.medianOverSdkFloorMs}; wall clock at load ${loadAverage()}: ${result.maxOverSdkFloorWallMs} ms)`,
  );
}

/** The 1-minute load average, rounded: how far wall-clock figures can be trusted. */
const loadAverage = (): number => round(loadavg()[0], 2);

/**
 * The cold-start goal (issue 13, item 14): hcx's own code adds at most this many ms over the empty
 * handler that creates the same SDK clients, and every bundle stays under this size.
 */
export const GOAL_OVER_SDK_FLOOR_MS = 15;
export const GOAL_BUNDLE_KB = 500;

if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  runColdStartBench()
    .then((r) => {
      const failed = r.rows.filter((row) => row.error).map((row) => row.fn);
      console.log(
        JSON.stringify({
          maxBundleKB: r.maxBundleKB,
          maxColdInitRatio: r.maxColdInitRatio,
          maxColdFirstRatio: r.maxColdFirstRatio,
          maxOverSdkFloorMs: r.maxOverSdkFloorMs,
          withinGoalOverSdkFloor: r.withinGoalOverSdkFloor,
          medianOverSdkFloorMs: r.medianOverSdkFloorMs,
          maxOverSdkFloorWallMs: r.maxOverSdkFloorWallMs,
          loadAverage: loadAverage(),
          goalOverSdkFloorMs: GOAL_OVER_SDK_FLOOR_MS,
          goalBundleKB: GOAL_BUNDLE_KB,
          meetsGoal: r.maxOverSdkFloorMs <= GOAL_OVER_SDK_FLOOR_MS && r.maxBundleKB < GOAL_BUNDLE_KB,
          failed,
        }),
      );
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
