/**
 * The checkpoint page (/check/) across a status segment's patch chain, in Chromium: a province
 * publishes a segment whole, then two patches (each revocation after the first adds one offset on
 * the revision the exchange accepted); a fresh device fetches the three batches of the chain into
 * Cache Storage, rebuilds the segment (`chainBatches` + `segmentsFromBatches`) and answers
 * CODE_REVOKED for the code the last patch revoked and valid for one no patch touched, with the
 * network cut too; a tampered batch in the chain leaves the page without a list (SEGMENT_MISSING),
 * never answering valid for a revoked code, as `hcx verify --offline` does with the same batch.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { issue } from '../../functions/cli/commands/issue';
import { trustListFetch } from '../../functions/cli/commands/trust-list';
import { verify } from '../../functions/cli/commands/verify';
import { SEGMENT_BITS } from '../../functions/core/status/segment';
import type { Federation } from '../../functions/embedded/federation';
import { claimsOf } from '../kit/domain';
import { startTestFederation, type ProvinceState } from '../kit/federation';
import { describeWithChromium, launchChromium } from './chromium';

const HOLDER = { name: '张三', idType: '10', idNumber: '11010519491231002X' };
const WEEK = 7 * 86_400;

interface ListRow {
  region: string;
  segment: number;
  batch: string;
  depth?: number;
}

async function verifyInPage(page: Page, code: string): Promise<{ result: string; reasons: string }> {
  await page.fill('#code', code);
  await page.evaluate(() => document.getElementById('result')!.removeAttribute('data-result'));
  await page.click('#verify');
  await page.waitForSelector('#result[data-result]');
  return page.evaluate(() => ({
    result: document.getElementById('result')!.dataset.result ?? '',
    reasons: document.getElementById('result')!.dataset.reasons ?? '',
  }));
}

async function openCheck(context: BrowserContext, node: ProvinceState): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${node.url}/check/`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

const segmentOf = (code: string) => Math.floor((claimsOf(code).si as number) / SEGMENT_BITS);

describeWithChromium('the checkpoint page across a segment patch chain, in Chromium', () => {
  let fed: Federation;
  let browser: Browser;
  let zj: ProvinceState; // issuer
  let gd: ProvinceState; // checkpoint
  let dir: string;
  /** Revoked in order: the first whole, the next two as patches; `untouched` never revoked. */
  const codes = { first: '', second: '', last: '', untouched: '' };
  let row: ListRow;
  /** The chain's batches, newest first: the last patch, the first patch, the whole publication. */
  const chain: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcx-chain-'));
    fed = await startTestFederation(['330000', '440000']);
    [zj, gd] = fed.state.provinces;
    const token = zj.internalToken;
    const issued: { code: string; codeId: string }[] = [];
    for (let i = 0; i < 4; i++) {
      issued.push((await issue({ node: zj.url, token, ...HOLDER, status: 'green', validity: WEEK })).data);
    }
    [codes.first, codes.second, codes.last, codes.untouched] = issued.map((c) => c.code);
    for (const c of issued.slice(0, 3)) {
      const res = await fetch(`${zj.url}/v1/codes/${c.codeId}/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      await fed.runScheduled(); // the exchange lists the revision, the nodes sync
    }
    // the four codes share one segment; its row names the last patch, two deep
    const segment = segmentOf(codes.last);
    expect(issued.map((c) => segmentOf(c.code))).toEqual([segment, segment, segment, segment]);
    const jws = await (await fetch(`${gd.url}/check/trust-list`)).text();
    const list = JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8')) as {
      statusSegments?: ListRow[];
    };
    row = list.statusSegments!.find((s) => s.region === zj.region && s.segment === segment)!;
    expect(row.depth).toBe(2);
    // walk the chain back through the batches the exchange serves
    let batch: string | undefined = row.batch;
    while (batch) {
      chain.push(batch);
      const text = await (await fetch(`${fed.state.exchangeUrl}/v1/status-batches/${batch}`)).text();
      const payload = JSON.parse(Buffer.from(text.split('.')[1], 'base64url').toString('utf8')) as {
        segments: { segment: number; base?: { batch: string } }[];
      };
      batch = payload.segments.find((s) => s.segment === segment)?.base?.batch;
    }
    expect(chain).toHaveLength(3);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await fed?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds the segment from the whole publication and two patches, answers by reason code, and offline too', async () => {
    const fresh = await browser.newContext();
    try {
      // a device that never saw the page: it fetches the list and the three batches of the chain
      const page = await openCheck(fresh, gd);
      expect(await page.getAttribute('#trust', 'data-state')).toBe('ok');
      expect(await page.getAttribute('#trust', 'data-error')).toBeNull();
      expect(await verifyInPage(page, codes.last)).toEqual({ result: 'invalid', reasons: 'CODE_REVOKED' });
      expect(await verifyInPage(page, codes.second)).toEqual({ result: 'invalid', reasons: 'CODE_REVOKED' });
      expect(await verifyInPage(page, codes.first)).toEqual({ result: 'invalid', reasons: 'CODE_REVOKED' });
      expect(await verifyInPage(page, codes.untouched)).toEqual({ result: 'valid', reasons: '' });
      const cached = await page.evaluate(async () =>
        (await (await caches.open('hcx-status-batches')).keys()).map((r) => r.url),
      );
      expect(cached.sort()).toEqual(chain.map((h) => `${gd.url}/check/status-batches?hash=${h}`).sort());
      await page.evaluate(() => navigator.serviceWorker.ready);
      await page.close();

      // the network cut: the page, the list and the chain's batches come from the device
      await fresh.setOffline(true);
      const offline = await openCheck(fresh, gd);
      expect(await offline.getAttribute('#trust', 'data-state')).toBe('ok');
      expect(await verifyInPage(offline, codes.last)).toEqual({ result: 'invalid', reasons: 'CODE_REVOKED' });
      expect(await verifyInPage(offline, codes.untouched)).toEqual({ result: 'valid', reasons: '' });
    } finally {
      await fresh.close();
    }
  });

  it('holds no list (SEGMENT_MISSING) when a batch of the chain is tampered with, as verify --offline does', async () => {
    // the first patch's batch, one character of its signed payload changed (its hash no longer the
    // one the whole publication's successor names)
    const middle = chain[1];
    const honest = await (await fetch(`${fed.state.exchangeUrl}/v1/status-batches/${middle}`)).text();
    const [h, p, s] = honest.split('.');
    const tampered = `${h}.${p.slice(0, 10)}${p[10] === 'A' ? 'B' : 'A'}${p.slice(11)}.${s}`;
    const blocked = await browser.newContext({ serviceWorkers: 'block' });
    try {
      await blocked.route(`**/check/status-batches?hash=${middle}`, (route) =>
        route.fulfill({ status: 200, contentType: 'application/jose', body: tampered }),
      );
      const page = await openCheck(blocked, gd);
      expect(await page.getAttribute('#trust', 'data-state')).toBe('none');
      expect(await page.getAttribute('#trust', 'data-error')).toBe('SEGMENT_MISSING');
      // never valid for a revoked code without the segment
      expect((await verifyInPage(page, codes.last)).result).toBe('indeterminate');
      expect((await verifyInPage(page, codes.untouched)).result).toBe('indeterminate');
    } finally {
      await blocked.close();
    }

    // the CLI with the same chain saved and the same batch tampered with on disk
    const file = join(dir, 'list.jws');
    await trustListFetch({
      exchange: fed.state.exchangeUrl,
      federationJwks: fed.state.federationJwks,
      out: file,
    });
    expect(readdirSync(`${file}.batches`).sort()).toEqual(chain.map((c) => `${c}.jws`).sort());
    const offline = () =>
      verify({
        code: codes.untouched,
        offline: true,
        trustList: file,
        federationJwks: fed.state.federationJwks,
      });
    expect((await offline()).data.result).toBe('valid');
    writeFileSync(join(`${file}.batches`, `${middle}.jws`), tampered);
    await expect(offline()).rejects.toMatchObject({ code: 'TRUST_LIST_REJECTED', reason: 'SEGMENT_MISSING' });
  });
});
