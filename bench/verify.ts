/**
 * Verification throughput: full `verifyCode` against raw `crypto.verify` of the same signature, in
 * the same run, single-threaded (many short interleaved blocks, median ratio) and on every core
 * (workers, the same blocks).
 * Two more single-threaded ratios: against raw verify with buffers freshly allocated from the code
 * string on every call (what any verifier must pay), and `verifyCode` given the code in its QR form
 * (what a checkpoint scans) against the same raw baseline.
 */
import { createPublicKey, verify } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import QRCode, { type QRCodeSegment } from 'qrcode';
import { qrSegments, qrText } from '../functions/core/code/format';
import { verifyCode } from '../functions/core/code/verify';
import { bindHolder } from '../functions/core/holder';
import { verifyFixture, verifyRepeatedly } from './verify-fixture';
import { median, percentile } from './stats';

export interface VerifyBenchResult {
  verifyPerSecondSingle: number;
  rawVerifyPerSecondSingle: number;
  verifyRatioSingle: number;
  /** 25th and 75th percentiles of the per-block ratios behind verifyRatioSingle (its spread). */
  verifyRatioSingleP25: number;
  verifyRatioSingleP75: number;
  verifyPerSecondParallel: number;
  rawVerifyPerSecondParallel: number;
  verifyRatioParallel: number;
  verifyRatioParallelP25: number;
  verifyRatioParallelP75: number;
  /** The parallel ratio by the CPU time of the whole process (all workers). */
  verifyRatioParallelCpu: number;
  /** verifyCode vs raw verify that decodes its buffers from the code string on every call. */
  verifyRatioFreshBuffers: number;
  rawFreshVerifyPerSecondSingle: number;
  /** verifyCode of the QR form (`HCX2:` + digits, what a scanner reads) vs raw verify. */
  verifyRatioQrForm: number;
  /** The three single-threaded ratios by CPU time used (robust to load from other processes). */
  verifyRatioSingleCpu: number;
  verifyRatioFreshBuffersCpu: number;
  verifyRatioQrFormCpu: number;
  /** Timed blocks per ratio, and calls per side in each block. */
  verifyBlocks: number;
  verifyCallsPerBlock: number;
  qrVersion: number;
  /** Modules per side of the typical code's QR symbol (version v: 17 + 4v). */
  qrModules: number;
  codeLength: number;
  /** Characters of the QR form (what the symbol holds). */
  qrTextLength: number;
  holderBindingMs: number;
}

/**
 * The method. Load from other processes comes in bursts of tens to hundreds of milliseconds, so a
 * ratio is the median of many short blocks (BLOCKS blocks of CALLS calls per side, ~50 ms each),
 * each block timing every side back to back in an order that rotates from block to block (every
 * side runs first, second, … equally often). A burst then spoils a few blocks, which the median
 * ignores; seven long rounds (the method before session 7) let one burst move a whole round.
 * Every side gets the same warm-up (WARM_UP calls), the raw baseline verifies the code's own
 * signing input and signature with the same kind of key object (a JWK imported by
 * `createPublicKey`, as the registry does), and each block is timed by wall clock and by the
 * process's CPU time. Neither side's loop awaits a plain value: `verifyCode` answers at once on
 * node:crypto, and its loop awaits only a promise (`verifyRepeatedly`; until session 8 it awaited
 * every result, a microtask per call, about 3 µs, that the raw loop did not pay).
 */
const BLOCKS = 64;
const CALLS = 500;
const WARM_UP = 4000;

// Workers load TypeScript through tsx's CommonJS hook.
const WORKER = `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'verify-worker.ts'))});`;

/** A pool of `workers` verification workers, warmed up and ready for timed blocks. */
async function workerPool(privateJwk: Record<string, string>, workers: number): Promise<Worker[]> {
  const pool = Array.from(
    { length: workers },
    () => new Worker(WORKER, { eval: true, workerData: { privateJwk, warmUp: WARM_UP } }),
  );
  await Promise.all(pool.map((w) => new Promise((r) => w.once('message', r))));
  return pool;
}

/** Wall-clock and CPU seconds of one timed block. */
interface Timing {
  wall: number;
  cpu: number;
}

async function timed(run: () => void | Promise<void>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - wall) / 1000, cpu: (used.user + used.system) / 1e6 };
}

/**
 * One block on every worker of `pool` at once (CALLS calls each): the workers' summed rate by their
 * own clocks, and the process's CPU time (all threads) for the block.
 */
async function parallelBlock(pool: Worker[], mode: 'raw' | 'full'): Promise<{ rate: number; cpu: number }> {
  const done = pool.map((w) => new Promise<{ n: number; ms: number }>((r) => w.once('message', r)));
  const cpu = process.cpuUsage();
  pool.forEach((w) => w.postMessage({ mode, calls: CALLS }));
  const results = await Promise.all(done);
  const used = process.cpuUsage(cpu);
  return {
    rate: results.reduce((sum, r) => sum + (r.n / r.ms) * 1000, 0),
    cpu: (used.user + used.system) / 1e6,
  };
}

/** Median and quartiles of `values`, rounded to 3 decimals. */
function spread(values: number[]): { median: number; p25: number; p75: number } {
  const r = (x: number) => Number(x.toFixed(3));
  return { median: r(median(values)), p25: r(percentile(values, 25)), p75: r(percentile(values, 75)) };
}

/** Run the verification benchmark, printing progress to stderr. */
export async function runVerifyBench(
  log: (line: string) => void = console.error,
): Promise<VerifyBenchResult> {
  const f = await verifyFixture();
  const [h, p, s] = f.code.slice(5).split('.');
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const key = createPublicKey({ key: f.publicJwk as never, format: 'jwk' });
  const check = await verifyCode(f.code, f.registry, { now: f.now });
  if (check.result !== 'valid')
    throw new Error(`benchmark code does not verify: ${JSON.stringify(check.reasons)}`);

  const scanned = qrText(f.code);
  const code = f.code;
  const sides = {
    raw: (n: number): void => {
      for (let i = 0; i < n; i++) verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
    },
    full: async (n: number): Promise<void> => {
      await verifyRepeatedly(code, f, n);
    },
    // What any verifier must pay: the signing input and the signature decoded from the code string.
    fresh: (n: number): void => {
      for (let i = 0; i < n; i++) {
        const dot = code.lastIndexOf('.');
        const signingInput = Buffer.from(code.slice(5, dot), 'latin1');
        const signature = Buffer.from(code.slice(dot + 1), 'base64url');
        verify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
      }
    },
    qr: async (n: number): Promise<void> => {
      await verifyRepeatedly(scanned, f, n);
    },
  };
  type Side = keyof typeof sides;
  const order: Side[] = ['raw', 'full', 'fresh', 'qr'];
  for (const side of order) await sides[side](WARM_UP);
  const blocks: Record<Side, Timing>[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    // Rotate the order by one each block and reverse it every other run of four: each side runs in
    // each position, after each other side, equally often.
    const rotated = order.map((_, i) => order[(i + b) % order.length]);
    if (Math.floor(b / order.length) % 2) rotated.reverse();
    const block = {} as Record<Side, Timing>;
    for (const side of rotated) block[side] = await timed(() => sides[side](CALLS));
    blocks.push(block);
    if ((b + 1) % 16 === 0)
      log(
        `  block ${b + 1}/${BLOCKS}: verifyCode/raw so far ${median(blocks.map((x) => x.raw.wall / x.full.wall)).toFixed(3)}`,
      );
  }
  // Rates are calls per second; a ratio of rates is the inverse ratio of times.
  const ratio = (a: Side, base: Side, by: keyof Timing) => spread(blocks.map((x) => x[base][by] / x[a][by]));
  const single = ratio('full', 'raw', 'wall');
  const singleCpu = ratio('full', 'raw', 'cpu');
  const fresh = ratio('full', 'fresh', 'wall');
  const freshCpu = ratio('full', 'fresh', 'cpu');
  const qrForm = ratio('qr', 'raw', 'wall');
  const qrFormCpu = ratio('qr', 'raw', 'cpu');
  const rate = (side: Side) => Math.round(median(blocks.map((x) => CALLS / x[side].wall)));
  log(
    `  single: ratio ${single.median} (p25 ${single.p25}, p75 ${single.p75}; CPU ${singleCpu.median}), ` +
      `vs fresh buffers ${fresh.median} (CPU ${freshCpu.median}), QR form ${qrForm.median} (CPU ${qrFormCpu.median})`,
  );

  const cores = availableParallelism();
  log(`  parallel on ${cores} workers...`);
  const parallel: Record<'raw' | 'full', { rate: number; cpu: number }>[] = [];
  const pool = await workerPool(f.privateJwk, cores);
  try {
    for (let b = 0; b < BLOCKS; b++) {
      const first = b % 2 === 0 ? 'raw' : 'full';
      const second = first === 'raw' ? 'full' : 'raw';
      const block = {} as Record<'raw' | 'full', { rate: number; cpu: number }>;
      block[first] = await parallelBlock(pool, first);
      block[second] = await parallelBlock(pool, second);
      parallel.push(block);
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  const par = spread(parallel.map((x) => x.full.rate / x.raw.rate));
  const parCpu = spread(parallel.map((x) => x.raw.cpu / x.full.cpu));
  log(`  parallel: ratio ${par.median} (p25 ${par.p25}, p75 ${par.p75}; CPU ${parCpu.median})`);
  const t0 = performance.now();
  await bindHolder('10', '11010519491231002X');
  const holderBindingMs = performance.now() - t0;
  const qr = QRCode.create(qrSegments(f.code) as QRCodeSegment[], { errorCorrectionLevel: 'M' });
  return {
    verifyPerSecondSingle: rate('full'),
    rawVerifyPerSecondSingle: rate('raw'),
    verifyRatioSingle: single.median,
    verifyRatioSingleP25: single.p25,
    verifyRatioSingleP75: single.p75,
    verifyPerSecondParallel: Math.round(median(parallel.map((x) => x.full.rate))),
    rawVerifyPerSecondParallel: Math.round(median(parallel.map((x) => x.raw.rate))),
    verifyRatioParallel: par.median,
    verifyRatioParallelP25: par.p25,
    verifyRatioParallelP75: par.p75,
    verifyRatioParallelCpu: parCpu.median,
    verifyRatioFreshBuffers: fresh.median,
    rawFreshVerifyPerSecondSingle: rate('fresh'),
    verifyRatioQrForm: qrForm.median,
    verifyRatioSingleCpu: singleCpu.median,
    verifyRatioFreshBuffersCpu: freshCpu.median,
    verifyRatioQrFormCpu: qrFormCpu.median,
    verifyBlocks: BLOCKS,
    verifyCallsPerBlock: CALLS,
    qrVersion: qr.version,
    qrModules: qr.modules.size,
    codeLength: f.code.length,
    qrTextLength: scanned.length,
    holderBindingMs: Number(holderBindingMs.toFixed(1)),
  };
}
