/**
 * Worker for the parallel verification benchmark. It builds the fixture, warms both modes up as
 * long as the single-threaded benchmark does (4000 calls each: with a few hundred, `verifyCode` was
 * still being optimised during the timed window and cost about 1.5× its steady CPU time), answers
 * `ready`, then runs one timed round per message (`{ mode, ms }`) and reports the count, until it
 * is terminated. One pool serves every round, so no round pays for worker start-up either.
 */
import { createPublicKey, verify } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { verifyCode } from '../functions/core/code/verify';
import { verifyFixture } from './verify-fixture';

const WARM_UP = 4000;

async function main(): Promise<void> {
  const { privateJwk } = workerData as { privateJwk: Record<string, string> };
  const f = await verifyFixture(privateJwk);
  const [h, p, s] = f.code.slice(5).split('.');
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const key = createPublicKey({ key: f.publicJwk as never, format: 'jwk' });
  for (let i = 0; i < WARM_UP; i++) await verifyCode(f.code, f.registry, { now: f.now });
  for (let i = 0; i < WARM_UP; i++) verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  parentPort!.on('message', async ({ mode, ms }: { mode: 'raw' | 'full'; ms: number }) => {
    let n = 0;
    const start = performance.now();
    const end = start + ms;
    if (mode === 'raw') {
      while (performance.now() < end)
        for (let i = 0; i < 50; i++, n++) verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
    } else {
      while (performance.now() < end)
        for (let i = 0; i < 50; i++, n++) await verifyCode(f.code, f.registry, { now: f.now });
    }
    parentPort!.postMessage({ n, ms: performance.now() - start });
  });
  parentPort!.postMessage({ ready: true });
}
void main();
