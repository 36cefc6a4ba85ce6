/**
 * The pages' figures: the checkpoint page's script size gzipped (QR decoder and the shared core
 * included; goal <= 150 KB), and, in Chromium when it is installed, how long the core takes in the
 * page to verify a code (goal <= 20 ms; the first one includes importing the key into WebCrypto)
 * and to check a holder binding (scrypt N=2^15, r=8, p=1 on @noble/hashes), and to verify an SM2 code
 * (sm2.ts over @noble/curves with sm-crypto's SM3).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { code, ID_NUMBER, NOW, province, trustList, ZJ } from '../test/core/fixtures';
import { browserBuildOptions, buildPages, gzippedKB } from '../web/build';
import { chromiumAvailable, launchChromium } from '../test/browser/chromium';

export interface PagesBench {
  readonly checkpointPageKB: number;
  readonly walletPageKB: number;
  /** Median in-page verification of a code, ms (null without Chromium). */
  readonly pageVerifyMs: number | null;
  readonly pageFirstVerifyMs: number | null;
  readonly pageHolderCheckMs: number | null;
  /** The same for an SM2 code (SM3 and the curve in JavaScript: WebCrypto has neither). */
  readonly pageSm2VerifyMs: number | null;
  readonly pageSm2FirstVerifyMs: number | null;
}

export async function runPagesBench(): Promise<PagesBench> {
  const zj = await province(ZJ);
  const fj = await province('350000', 'SM2');
  const list = trustList([zj, fj]);
  const pages = await buildPages({
    federation: 'hcx-bench',
    federationJwks: { keys: [zj.key.publicJwk] },
    trustListUrl: 'trust-list',
    statusBatchesUrl: 'status-batches?hash=',
  });
  const sizes = {
    checkpointPageKB: gzippedKB(pages.get('/check/check.js')!),
    walletPageKB: gzippedKB(pages.get('/wallet/wallet.js')!),
  };
  if (!chromiumAvailable) {
    console.error('pages: no Chromium, in-page timings not measured');
    return {
      ...sizes,
      pageVerifyMs: null,
      pageFirstVerifyMs: null,
      pageHolderCheckMs: null,
      pageSm2VerifyMs: null,
      pageSm2FirstVerifyMs: null,
    };
  }
  const out = await build({
    ...browserBuildOptions(),
    entryPoints: [join(__dirname, '..', 'test', 'browser', 'harness-entry.ts')],
    outfile: 'harness.js',
  });
  const js = out.outputFiles![0].contents;
  const server = createServer((req, res) => {
    if (req.url === '/harness.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<script src="/harness.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const r = (n: number) => Math.round(n * 100) / 100;
    const time = async (issuer: typeof zj, count: number) => {
      const codes: string[] = [];
      for (let i = 0; i < count; i++) codes.push((await code(issuer)).code);
      const timings = await page.evaluate(
        async ({ list, codes, now, idNumber }) => {
          const core = (
            globalThis as never as { hcxCore: { timeVerify: (...a: unknown[]) => Promise<number[]> } }
          ).hcxCore;
          return core.timeVerify(list, codes, now, { idType: '10', idNumber });
        },
        { list, codes, now: NOW, idNumber: ID_NUMBER },
      );
      const holderMs = timings.pop()!;
      const first = timings.shift()!;
      timings.sort((a, b) => a - b);
      return { median: r(timings[Math.floor(timings.length / 2)]), first: r(first), holderMs };
    };
    const es256 = await time(zj, 200);
    const sm2 = await time(fj, 50);
    return {
      ...sizes,
      pageVerifyMs: es256.median,
      pageFirstVerifyMs: es256.first,
      pageHolderCheckMs: Math.round(es256.holderMs),
      pageSm2VerifyMs: sm2.median,
      pageSm2FirstVerifyMs: sm2.first,
    };
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
}
