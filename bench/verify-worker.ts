/**
 * Worker for the parallel verification benchmark. It builds the fixture, warms both sides up as
 * long as the single-threaded benchmark does (`warmUp` calls each: with a few hundred, `verifyCode`
 * was still being optimised during the timed window and cost about 1.5× its steady CPU time),
 * answers `ready`, then runs one timed block per message (`{ mode, calls }`) and reports the count
 * and its own wall time, until it is terminated. One pool serves every block, so no block pays for
 * worker start-up either.
 */
import { createPublicKey, verify } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { verifyFixture, verifyRepeatedly } from './verify-fixture';

async function main(): Promise<void> {
  const { privateJwk, warmUp } = workerData as { privateJwk: Record<string, string>; warmUp: number };
  const f = await verifyFixture(privateJwk);
  const [h, p, s] = f.code.slice(5).split('.');
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const key = createPublicKey({ key: f.publicJwk as never, format: 'jwk' });
  await verifyRepeatedly(f.code, f, warmUp);
  for (let i = 0; i < warmUp; i++) verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  parentPort!.on('message', async ({ mode, calls }: { mode: 'raw' | 'full'; calls: number }) => {
    const start = performance.now();
    if (mode === 'raw') {
      for (let i = 0; i < calls; i++) verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
    } else {
      await verifyRepeatedly(f.code, f, calls);
    }
    parentPort!.postMessage({ n: calls, ms: performance.now() - start });
  });
  parentPort!.postMessage({ ready: true });
}
void main();
