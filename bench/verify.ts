/**
 * Verification throughput: full `verifyCode` against raw `crypto.verify` of the same signature, in
 * the same run, single-threaded (interleaved rounds, median ratio) and on every core (workers).
 */
import { createPublicKey, verify } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import QRCode from 'qrcode';
import { verifyCode } from '../functions/core/code/verify';
import { bindHolder } from '../functions/core/holder';
import { verifyFixture } from './verify-fixture';

export interface VerifyBenchResult {
  verifyPerSecondSingle: number;
  rawVerifyPerSecondSingle: number;
  verifyRatioSingle: number;
  verifyPerSecondParallel: number;
  rawVerifyPerSecondParallel: number;
  verifyRatioParallel: number;
  qrVersion: number;
  codeLength: number;
  holderBindingMs: number;
}

// Workers load TypeScript through tsx's CommonJS hook.
const WORKER = `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'verify-worker.ts'))});`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function parallel(
  mode: 'raw' | 'full',
  privateJwk: Record<string, string>,
  workers: number,
  ms: number,
): Promise<number> {
  const pool = Array.from(
    { length: workers },
    () => new Worker(WORKER, { eval: true, workerData: { mode, ms, privateJwk } }),
  );
  await Promise.all(pool.map((w) => new Promise((r) => w.once('message', r))));
  const done = pool.map((w) => new Promise<{ n: number; ms: number }>((r) => w.once('message', r)));
  pool.forEach((w) => w.postMessage('go'));
  const results = await Promise.all(done);
  await Promise.all(pool.map((w) => w.terminate()));
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

  const N = 4000;
  for (let i = 0; i < N; i++) await verifyCode(f.code, f.registry, { now: f.now }); // warm-up
  const raw: number[] = [];
  const full: number[] = [];
  const ratios: number[] = [];
  const rawRound = (): number => {
    const t = performance.now();
    for (let i = 0; i < N; i++) verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
    return N / ((performance.now() - t) / 1000);
  };
  const fullRound = async (): Promise<number> => {
    const t = performance.now();
    for (let i = 0; i < N; i++) await verifyCode(f.code, f.registry, { now: f.now });
    return N / ((performance.now() - t) / 1000);
  };
  for (let round = 0; round < 7; round++) {
    // Alternate which side runs first, so neither always gets the warmer (or the noisier) half.
    let rawRate: number;
    let fullRate: number;
    if (round % 2 === 0) {
      rawRate = rawRound();
      fullRate = await fullRound();
    } else {
      fullRate = await fullRound();
      rawRate = rawRound();
    }
    raw.push(rawRate);
    full.push(fullRate);
    ratios.push(fullRate / rawRate);
    log(
      `  round ${round + 1}/7: raw ${rawRate.toFixed(0)}/s, verifyCode ${fullRate.toFixed(0)}/s, ratio ${(fullRate / rawRate).toFixed(3)}`,
    );
  }
  const cores = availableParallelism();
  log(`  parallel on ${cores} workers...`);
  const rawPar: number[] = [];
  const fullPar: number[] = [];
  const parRatios: number[] = [];
  // Interleaved rounds, median of the per-round ratios: a burst of load from elsewhere hits one pair.
  for (let round = 0; round < 5; round++) {
    if (round % 2 === 0) {
      rawPar.push(await parallel('raw', f.privateJwk, cores, 1500));
      fullPar.push(await parallel('full', f.privateJwk, cores, 1500));
    } else {
      fullPar.push(await parallel('full', f.privateJwk, cores, 1500));
      rawPar.push(await parallel('raw', f.privateJwk, cores, 1500));
    }
    parRatios.push(fullPar[round] / rawPar[round]);
    log(`  parallel round ${round + 1}/5: ratio ${parRatios[round].toFixed(3)}`);
  }
  const t0 = performance.now();
  await bindHolder('10', '11010519491231002X');
  const holderBindingMs = performance.now() - t0;
  const qr = QRCode.create(f.code, { errorCorrectionLevel: 'M' });
  const rawParallel = median(rawPar);
  const fullParallel = median(fullPar);
  return {
    verifyPerSecondSingle: Math.round(median(full)),
    rawVerifyPerSecondSingle: Math.round(median(raw)),
    verifyRatioSingle: Number(median(ratios).toFixed(3)),
    verifyPerSecondParallel: Math.round(fullParallel),
    rawVerifyPerSecondParallel: Math.round(rawParallel),
    verifyRatioParallel: Number(median(parRatios).toFixed(3)),
    qrVersion: qr.version,
    codeLength: f.code.length,
    holderBindingMs: Number(holderBindingMs.toFixed(1)),
  };
}
