/** Worker for the parallel verification benchmark: runs one mode for a fixed time and reports the count. */
import { createPublicKey, verify } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { verifyCode } from '../functions/core/code/verify';
import { verifyFixture } from './verify-fixture';

async function main(): Promise<void> {
  const { mode, ms, privateJwk } = workerData as {
    mode: 'raw' | 'full';
    ms: number;
    privateJwk: Record<string, string>;
  };
  const f = await verifyFixture(privateJwk);
  const [h, p, s] = f.code.slice(5).split('.');
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const key = createPublicKey({ key: f.publicJwk as never, format: 'jwk' });
  // warm up
  for (let i = 0; i < 500; i++) await verifyCode(f.code, f.registry, { now: f.now });
  parentPort!.postMessage({ ready: true });
  await new Promise((r) => parentPort!.once('message', r));
  let n = 0;
  const end = performance.now() + ms;
  if (mode === 'raw') {
    while (performance.now() < end)
      for (let i = 0; i < 50; i++, n++) verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } else {
    while (performance.now() < end)
      for (let i = 0; i < 50; i++, n++) await verifyCode(f.code, f.registry, { now: f.now });
  }
  parentPort!.postMessage({ n, ms });
}
void main();
