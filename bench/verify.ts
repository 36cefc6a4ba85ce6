/**
 * Verification throughput: full `verifyCode` against raw `crypto.verify` of the same signature, in
 * the same run, single-threaded (interleaved rounds, median ratio) and on every core (workers).
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
import { verifyFixture } from './verify-fixture';
import { median } from './stats';

export interface VerifyBenchResult {
  verifyPerSecondSingle: number;
  rawVerifyPerSecondSingle: number;
  verifyRatioSingle: number;
  verifyPerSecondParallel: number;
  rawVerifyPerSecondParallel: number;
  verifyRatioParallel: number;
  /** verifyCode vs raw verify that decodes its buffers from the code string on every call. */
  verifyRatioFreshBuffers: number;
  rawFreshVerifyPerSecondSingle: number;
  /** verifyCode of the QR form (`HCX2:` + digits, what a scanner reads) vs raw verify. */
  verifyRatioQrForm: number;
  /** The three single-threaded ratios by CPU time used (robust to load from other processes). */
  verifyRatioSingleCpu: number;
  verifyRatioFreshBuffersCpu: number;
  verifyRatioQrFormCpu: number;
  qrVersion: number;
  /** Modules per side of the typical code's QR symbol (version v: 17 + 4v). */
  qrModules: number;
  codeLength: number;
  /** Characters of the QR form (what the symbol holds). */
  qrTextLength: number;
  holderBindingMs: number;
}

// Workers load TypeScript through tsx's CommonJS hook.
const WORKER = `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'verify-worker.ts'))});`;

/** A pool of `workers` verification workers, warmed up and ready for timed rounds. */
async function workerPool(privateJwk: Record<string, string>, workers: number): Promise<Worker[]> {
  const pool = Array.from(
    { length: workers },
    () => new Worker(WORKER, { eval: true, workerData: { privateJwk } }),
  );
  await Promise.all(pool.map((w) => new Promise((r) => w.once('message', r))));
  return pool;
}

/** One timed round on every worker of `pool` at once: verifications per second, all workers together. */
async function parallel(pool: Worker[], mode: 'raw' | 'full', ms: number): Promise<number> {
  const done = pool.map((w) => new Promise<{ n: number; ms: number }>((r) => w.once('message', r)));
  pool.forEach((w) => w.postMessage({ mode, ms }));
  const results = await Promise.all(done);
  return results.reduce((sum, r) => sum + (r.n / r.ms) * 1000, 0);
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
  const N = 4000;
  for (let i = 0; i < N; i++) await verifyCode(f.code, f.registry, { now: f.now }); // warm-up
  for (let i = 0; i < N; i++) await verifyCode(scanned, f.registry, { now: f.now });
  const raw: number[] = [];
  const full: number[] = [];
  const ratios: number[] = [];
  const freshRaw: number[] = [];
  const freshRatios: number[] = [];
  const qrRatios: number[] = [];
  const code = f.code;
  // Each round also measures the process's CPU time: on a shared machine other processes stretch
  // wall time (and so the wall-clock ratios) while the CPU time a round uses barely moves.
  let cpuRate = 0;
  const clock = () => ({ wall: performance.now(), cpu: process.cpuUsage() });
  const rate = (t: ReturnType<typeof clock>): number => {
    const used = process.cpuUsage(t.cpu);
    cpuRate = N / ((used.user + used.system) / 1e6);
    return N / ((performance.now() - t.wall) / 1000);
  };
  const cpuRatios: number[] = [];
  const freshCpuRatios: number[] = [];
  const qrCpuRatios: number[] = [];
  const freshRound = (): number => {
    const t = clock();
    for (let i = 0; i < N; i++) {
      const dot = code.lastIndexOf('.');
      const signingInput = Buffer.from(code.slice(5, dot), 'latin1');
      const signature = Buffer.from(code.slice(dot + 1), 'base64url');
      verify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    return rate(t);
  };
  const qrRound = async (): Promise<number> => {
    const t = clock();
    for (let i = 0; i < N; i++) await verifyCode(scanned, f.registry, { now: f.now });
    return rate(t);
  };
  const rawRound = (): number => {
    const t = clock();
    for (let i = 0; i < N; i++) verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
    return rate(t);
  };
  const fullRound = async (): Promise<number> => {
    const t = clock();
    for (let i = 0; i < N; i++) await verifyCode(f.code, f.registry, { now: f.now });
    return rate(t);
  };
  for (let round = 0; round < 7; round++) {
    // Alternate which side runs first, so neither always gets the warmer (or the noisier) half.
    let rawRate: number;
    let fullRate: number;
    let rawCpu: number;
    let fullCpu: number;
    if (round % 2 === 0) {
      rawRate = rawRound();
      rawCpu = cpuRate;
      fullRate = await fullRound();
      fullCpu = cpuRate;
    } else {
      fullRate = await fullRound();
      fullCpu = cpuRate;
      rawRate = rawRound();
      rawCpu = cpuRate;
    }
    raw.push(rawRate);
    full.push(fullRate);
    ratios.push(fullRate / rawRate);
    cpuRatios.push(fullCpu / rawCpu);
    // The two extra ratios, each pair back to back as well.
    const freshRate = freshRound();
    const freshCpu = cpuRate;
    const fullAgain = await fullRound();
    freshCpuRatios.push(cpuRate / freshCpu);
    freshRaw.push(freshRate);
    freshRatios.push(fullAgain / freshRate);
    const qrRate = await qrRound();
    const qrCpu = cpuRate;
    const rawAgain = rawRound();
    qrCpuRatios.push(qrCpu / cpuRate);
    qrRatios.push(qrRate / rawAgain);
    log(
      `  round ${round + 1}/7: raw ${rawRate.toFixed(0)}/s, verifyCode ${fullRate.toFixed(0)}/s, ratio ${(fullRate / rawRate).toFixed(3)}; ` +
        `vs fresh buffers ${(fullAgain / freshRate).toFixed(3)}; QR form ${(qrRate / rawAgain).toFixed(3)}; ` +
        `by CPU time ${cpuRatios[round].toFixed(3)} / ${freshCpuRatios[round].toFixed(3)} / ${qrCpuRatios[round].toFixed(3)}`,
    );
  }
  const cores = availableParallelism();
  log(`  parallel on ${cores} workers...`);
  const rawPar: number[] = [];
  const fullPar: number[] = [];
  const parRatios: number[] = [];
  // Interleaved rounds, median of the per-round ratios: a burst of load from elsewhere hits one pair.
  const pool = await workerPool(f.privateJwk, cores);
  try {
    for (let round = 0; round < 5; round++) {
      if (round % 2 === 0) {
        rawPar.push(await parallel(pool, 'raw', 1500));
        fullPar.push(await parallel(pool, 'full', 1500));
      } else {
        fullPar.push(await parallel(pool, 'full', 1500));
        rawPar.push(await parallel(pool, 'raw', 1500));
      }
      parRatios.push(fullPar[round] / rawPar[round]);
      log(`  parallel round ${round + 1}/5: ratio ${parRatios[round].toFixed(3)}`);
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  const t0 = performance.now();
  await bindHolder('10', '11010519491231002X');
  const holderBindingMs = performance.now() - t0;
  const qr = QRCode.create(qrSegments(f.code) as QRCodeSegment[], { errorCorrectionLevel: 'M' });
  const rawParallel = median(rawPar);
  const fullParallel = median(fullPar);
  return {
    verifyPerSecondSingle: Math.round(median(full)),
    rawVerifyPerSecondSingle: Math.round(median(raw)),
    verifyRatioSingle: Number(median(ratios).toFixed(3)),
    verifyPerSecondParallel: Math.round(fullParallel),
    rawVerifyPerSecondParallel: Math.round(rawParallel),
    verifyRatioParallel: Number(median(parRatios).toFixed(3)),
    verifyRatioFreshBuffers: Number(median(freshRatios).toFixed(3)),
    rawFreshVerifyPerSecondSingle: Math.round(median(freshRaw)),
    verifyRatioQrForm: Number(median(qrRatios).toFixed(3)),
    verifyRatioSingleCpu: Number(median(cpuRatios).toFixed(3)),
    verifyRatioFreshBuffersCpu: Number(median(freshCpuRatios).toFixed(3)),
    verifyRatioQrFormCpu: Number(median(qrCpuRatios).toFixed(3)),
    qrVersion: qr.version,
    qrModules: qr.modules.size,
    codeLength: f.code.length,
    qrTextLength: scanned.length,
    holderBindingMs: Number(holderBindingMs.toFixed(1)),
  };
}
