/**
 * Cold start: bundles every handler the way the CDK stacks do (`NodejsFunction` with esbuild:
 * minified, CommonJS, source maps, `@aws-sdk/*` left to the runtime) and measures, in fresh Node
 * processes, each bundle's size and its cold initialisation, against an empty middy handler bundled
 * the same way in the same run.
 *
 * Init time is what Lambda reports as Init Duration: from the start of the Node process until the
 * handler module is loaded and, when the module exports `create` and `fromEnv`, the handler is
 * built (`create(fromEnv())`, with placeholder configuration, no I/O). Median of `runs` processes.
 *
 *   npx tsx bench/cold-start.ts        # table, then one JSON line
 *
 * `runColdStartBench()` is what `bench/run.ts` calls.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { ROUTES, SCHEDULED } from '../functions/routes';
import { BUNDLING, PROJECT_ROOT } from '../lib/constructs/bundling';

/** One measured bundle. */
export interface ColdStartRow {
  readonly fn: string;
  readonly bundleKB: number;
  /** Median ms from process start to a loaded (and, when possible, built) handler. */
  readonly initMs: number;
  /** Median ms spent in `require` + construction alone. */
  readonly loadMs: number;
  /** Whether the handler could be built (`create` and `fromEnv` exported). */
  readonly constructed: boolean;
  /** `initMs` over the empty handler's. */
  readonly ratio: number;
  /** Why the bundle or its initialisation failed, if it did. */
  readonly error?: string;
}

export interface ColdStartResult {
  readonly maxBundleKB: number;
  readonly maxColdInitRatio: number;
  readonly baseline: { readonly bundleKB: number; readonly initMs: number };
  readonly rows: readonly ColdStartRow[];
}

export interface ColdStartOptions {
  /** Processes per bundle; the median is reported. @default 5 */
  readonly runs?: number;
  /** Print the table to stdout. @default true */
  readonly print?: boolean;
}

// Placeholder configuration so that `fromEnv()` can build clients; nothing is called.
const PLACEHOLDER_ENV: Record<string, string> = {
  AWS_REGION: 'ap-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHCOLDSTART00',
  AWS_SECRET_ACCESS_KEY: 'bench-cold-start-not-a-secret',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_SERVICE_NAME: 'hcx-bench',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  TABLE_NAME: 'bench',
  FEDERATION_ID: 'hcx-bench',
  FEDERATION_KMS_KEY_ID: 'arn:aws:kms:ap-east-1:111111111111:key/00000000-0000-0000-0000-000000000000',
  ISSUER_KMS_KEY_ID: 'arn:aws:kms:ap-east-1:111111111111:key/00000000-0000-0000-0000-000000000001',
  REGION_CODE: '330000',
  EXCHANGE_URL: 'https://exchange.invalid',
  FEDERATION_JWKS: '{"keys":[]}',
  ENROLLMENT_KEY_SECRET_ARN: 'arn:aws:secretsmanager:ap-east-1:111111111111:secret:bench-000000',
  TRUST_LIST_BUCKET: 'bench',
};

// Runs in the fresh process: load, build when possible, report. `performance.now()` counts from process start.
const PROBE = `
const t0 = performance.now();
const mod = require(process.argv[1]);
const canBuild = typeof mod.create === 'function' && typeof mod.fromEnv === 'function';
if (canBuild) mod.create(mod.fromEnv());
if (typeof mod.handler !== 'function') throw new Error('no handler export');
const t1 = performance.now();
process.stdout.write(JSON.stringify({ initMs: t1, loadMs: t1 - t0, constructed: canBuild }));
`;

const EMPTY_MIDDY = `import middy from '@middy/core';
export const handler = middy(async () => ({ statusCode: 200 }));
`;

/** The handler folders of every route and scheduled function. */
function handlerNames(): string[] {
  return [...new Set([...ROUTES.map((r) => r.fn), ...SCHEDULED.map((s) => s.fn)])];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Bundles one entry (a file, or source text for the baseline) as `NodejsFunction` would. */
async function bundle(outfile: string, entry: { file: string } | { source: string }): Promise<number> {
  await build({
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.source, resolveDir: PROJECT_ROOT, loader: 'ts' as const } }),
    outfile,
    bundle: true,
    platform: 'node',
    // The bundle must run on this machine's Node; Lambda gets `BUNDLING.target`.
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    external: [...BUNDLING.externalModules],
    logLevel: 'silent',
    absWorkingDir: PROJECT_ROOT,
  });
  return statSync(outfile).size / 1024;
}

/** Median init of `runs` fresh processes loading the bundle. */
function measure(bundleFile: string, runs: number): { initMs: number; loadMs: number; constructed: boolean } {
  const samples: { initMs: number; loadMs: number; constructed: boolean }[] = [];
  for (let i = 0; i < runs; i++) {
    const child = spawnSync(process.execPath, ['--enable-source-maps', '-e', PROBE, bundleFile], {
      env: {
        ...PLACEHOLDER_ENV,
        PATH: process.env.PATH ?? '',
        NODE_PATH: path.join(PROJECT_ROOT, 'node_modules'),
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (child.status !== 0) throw new Error((child.stderr || 'init failed').trim().split('\n').slice(-1)[0]);
    samples.push(JSON.parse(child.stdout));
  }
  return {
    initMs: median(samples.map((s) => s.initMs)),
    loadMs: median(samples.map((s) => s.loadMs)),
    constructed: samples[0].constructed,
  };
}

/** Bundles and measures every handler and the empty middy baseline; prints a table unless told not to. */
export async function runColdStartBench(options: ColdStartOptions = {}): Promise<ColdStartResult> {
  const runs = options.runs ?? 5;
  const dir = mkdtempSync(path.join(tmpdir(), 'hcx-cold-start-'));
  try {
    const baselineFile = path.join(dir, 'empty-middy.js');
    const baselineKB = await bundle(baselineFile, { source: EMPTY_MIDDY });
    const first = measure(baselineFile, runs);
    const rows: ColdStartRow[] = [];
    for (const fn of handlerNames()) {
      const out = path.join(dir, `${fn}.js`);
      try {
        const bundleKB = await bundle(out, { file: path.join(PROJECT_ROOT, 'functions', fn, 'handler.ts') });
        const m = measure(out, runs);
        rows.push({ fn, bundleKB: round(bundleKB), ...m, ratio: NaN });
      } catch (error) {
        const message = (error as Error).message.split('\n')[0].slice(0, 200);
        rows.push({
          fn,
          bundleKB: NaN,
          initMs: NaN,
          loadMs: NaN,
          constructed: false,
          ratio: NaN,
          error: message,
        });
      }
    }
    // Measured again at the end: the machine's load drifts over a run, the ratio should not.
    const baseline = { initMs: (first.initMs + measure(baselineFile, runs).initMs) / 2 };
    for (const [i, r] of rows.entries()) {
      if (r.error === undefined) rows[i] = { ...r, ratio: round(r.initMs / baseline.initMs, 2) };
    }
    const ok = rows.filter((r) => r.error === undefined);
    const result: ColdStartResult = {
      maxBundleKB: round(Math.max(0, ...ok.map((r) => r.bundleKB))),
      maxColdInitRatio: round(Math.max(0, ...ok.map((r) => r.ratio)), 2),
      baseline: { bundleKB: round(baselineKB), initMs: round(baseline.initMs) },
      rows,
    };
    if (options.print ?? true) printTable(result, runs);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(result: ColdStartResult, runs: number): void {
  const line = (cols: (string | number)[]): string =>
    cols.map((c, i) => (i === 0 ? String(c).padEnd(28) : String(c).padStart(10))).join(' ');
  console.log(`cold start (median of ${runs} fresh processes, Node ${process.versions.node})`);
  console.log(line(['handler', 'KB', 'init ms', 'load ms', '× empty', 'built']));
  console.log(line(['(empty middy handler)', result.baseline.bundleKB, result.baseline.initMs, '', 1, '']));
  for (const r of result.rows) {
    if (r.error) console.log(line([r.fn, 'FAILED', r.error]));
    else
      console.log(
        line([r.fn, r.bundleKB, round(r.initMs), round(r.loadMs), r.ratio, r.constructed ? 'yes' : 'no']),
      );
  }
  console.log(
    `max bundle ${result.maxBundleKB} KB (goal < 500), max init ratio ${result.maxColdInitRatio} (goal < 2)`,
  );
}

if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  runColdStartBench()
    .then((r) => {
      const failed = r.rows.filter((row) => row.error).map((row) => row.fn);
      console.log(
        JSON.stringify({ maxBundleKB: r.maxBundleKB, maxColdInitRatio: r.maxColdInitRatio, failed }),
      );
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
