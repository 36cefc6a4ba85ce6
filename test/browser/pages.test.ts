/**
 * The checkpoint page (/check/) and the traveller page (/wallet/) from `npm start`'s province nodes,
 * in Chromium: verifying valid, revoked, tampered and stale-list codes with the right words and
 * colour, offline after the first load, from the (fake) camera, and the wallet's QR decoding back to
 * the exact code. Screenshots of both pages in both languages are taken every run (to a temporary
 * folder); `npm run screenshots` copies them into docs/screenshots/.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQR from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { issue } from '../../functions/cli/commands/issue';
import { CODE_PREFIX } from '../../functions/core/profiles';
import { SEGMENT_BITS } from '../../functions/core/status/segment';
import { codeFromQrText, qrText } from '../../functions/core/code/format';
import type { Federation } from '../../functions/embedded/federation';
import { startTestFederation, verifyAt, type ProvinceState } from '../kit/federation';
import { describeWithChromium, launchChromium } from './chromium';
import { writeQrVideo } from './y4m';

const HOLDER = { name: '张三', idType: '10', idNumber: '11010519491231002X' };
const WEEK = 7 * 86_400;

interface Shown {
  result: string;
  reasons: string;
  colour: string;
  background: string;
  verdict: string;
  icon: string;
  details: string;
}

async function verifyInPage(page: Page, code: string): Promise<Shown> {
  await page.fill('#code', code);
  await page.evaluate(() => document.getElementById('result')!.removeAttribute('data-result'));
  await page.click('#verify');
  await page.waitForSelector('#result[data-result]');
  return shown(page);
}

function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const el = (id: string) => document.getElementById(id)!;
    return {
      result: el('result').dataset.result ?? '',
      reasons: el('result').dataset.reasons ?? '',
      colour: el('field').dataset.colour ?? '',
      background:
        getComputedStyle(el('field')).backgroundImage + getComputedStyle(el('field')).backgroundColor,
      verdict: el('verdict').textContent ?? '',
      icon: el('icon').textContent ?? '',
      details: el('details').textContent ?? '',
    };
  });
}

async function openCheck(context: BrowserContext, node: ProvinceState, lang = ''): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${node.url}/check/${lang}`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

describeWithChromium('checkpoint and traveller pages in Chromium', () => {
  let fed: Federation;
  let browser: Browser;
  let context: BrowserContext;
  let zj: ProvinceState; // issuer
  let gd: ProvinceState; // checkpoint
  let fj: ProvinceState; // issuer on SM2 (SM3 digests), beside Zhejiang's ES256
  let dir: string;
  const codes: Record<'valid' | 'revoked' | 'yellow', string> = { valid: '', revoked: '', yellow: '' };
  let qrPng: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcx-pages-'));
    fed = await startTestFederation(['330000', '440000', '350000:SM2']);
    [zj, gd, fj] = fed.state.provinces;
    const token = zj.internalToken;
    qrPng = join(dir, 'valid.png');
    const valid = await issue({ node: zj.url, token, ...HOLDER, status: 'green', validity: WEEK, qr: qrPng });
    codes.valid = valid.data.code;
    codes.yellow = (
      await issue({ node: zj.url, token, ...HOLDER, status: 'yellow', validity: WEEK })
    ).data.code;
    const revoked = await issue({ node: zj.url, token, ...HOLDER, status: 'green', validity: WEEK });
    codes.revoked = revoked.data.code;
    const res = await fetch(`${zj.url}/v1/codes/${revoked.data.codeId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    await fed.runScheduled(); // the exchange's list now names the revoked code
    const video = join(dir, 'valid.y4m');
    writeQrVideo(qrPng, video);
    browser = await launchChromium([
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ]);
    context = await browser.newContext({ viewport: { width: 412, height: 915 }, deviceScaleFactor: 1 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await fed?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies valid, revoked and tampered codes in the page, with words, icon and colour', async () => {
    const page = await openCheck(context, gd);
    expect(await page.getAttribute('#trust', 'data-state')).toBe('ok');
    expect(await page.textContent('#trust')).toMatch(/^信任列表 v\d+，/);

    const valid = await verifyInPage(page, codes.valid);
    expect(valid).toMatchObject({
      result: 'valid',
      reasons: '',
      colour: 'green',
      verdict: '绿码 · 通过',
      icon: '✔',
    });
    expect(valid.background).toContain('rgb(10, 125, 50)');
    expect(valid.details).toContain('浙江省');
    expect(valid.details).toContain('张**');

    const yellow = await verifyInPage(page, codes.yellow);
    expect(yellow).toMatchObject({ result: 'valid', colour: 'yellow', verdict: '黄码 · 通过' });

    const revoked = await verifyInPage(page, codes.revoked);
    expect(revoked).toMatchObject({
      result: 'invalid',
      reasons: 'CODE_REVOKED',
      colour: 'invalid',
      icon: '✖',
    });
    expect(revoked.verdict).toBe('无效');
    expect(await page.textContent('#reasons')).toContain('健康码已被签发省份撤销');

    // a red code made green: the signature no longer covers the payload
    const red = (await issue({ node: zj.url, token: zj.internalToken, ...HOLDER, status: 'red' })).data.code;
    expect(red.startsWith(CODE_PREFIX)).toBe(true); // the issued format, HCX2
    const [h, p, s] = red.slice(CODE_PREFIX.length).split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    const green = Buffer.from(JSON.stringify({ ...claims, st: 'green' })).toString('base64url');
    const tampered = `${CODE_PREFIX}${h}.${green}.${s}`;
    // pasted as text and as the QR form a scanner reads (`HCX2:` + digits)
    for (const form of [tampered, qrText(tampered)]) {
      const shownTampered = await verifyInPage(page, form);
      expect(shownTampered).toMatchObject({
        result: 'invalid',
        reasons: 'SIGNATURE_INVALID',
        colour: 'invalid',
      });
      expect(shownTampered.details).toBe(''); // nothing from an unauthenticated payload is shown
    }
    expect(await verifyInPage(page, qrText(red))).toMatchObject({ result: 'valid', colour: 'red' });
    await verifyInPage(page, tampered);

    await page.click('#lang');
    expect(await page.textContent('#verdict')).toBe('Not valid');
    expect(await page.textContent('#reasons')).toContain('The signature does not verify');
    await page.click('#lang');
    await page.close();
  });

  it('verifies an SM2 code beside ES256 ones, and refuses a tampered one with the reason Node gives', async () => {
    const jwks = (await (
      await fetch(`${fed.state.exchangeUrl}/v1/provinces/${fj.region}/jwks.json`)
    ).json()) as { keys: object[] };
    expect(jwks.keys).toContainEqual(expect.objectContaining({ kty: 'EC', crv: 'SM2', alg: 'SM2' }));
    const sm2 = (
      await issue({ node: fj.url, token: fj.internalToken, ...HOLDER, status: 'green', validity: WEEK })
    ).data.code;
    const [h, p, s] = sm2.slice(CODE_PREFIX.length).split('.');
    expect(JSON.parse(Buffer.from(h, 'base64url').toString('utf8'))).toMatchObject({ alg: 'SM2' });
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    const yellow = Buffer.from(JSON.stringify({ ...claims, st: 'yellow' })).toString('base64url');
    const tampered = `${CODE_PREFIX}${h}.${yellow}.${s}`;
    // s replaced by SM2's group order n: out of [1, n-1], refused before any curve arithmetic
    const sIsN = `${CODE_PREFIX}${h}.${p}.${Buffer.concat([
      Buffer.from(s, 'base64url').subarray(0, 32),
      Buffer.from('fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123', 'hex'),
    ]).toString('base64url')}`;

    const page = await openCheck(context, gd); // Guangdong's page: ES256 province, SM2 code
    const valid = await verifyInPage(page, sm2);
    expect(valid).toMatchObject({ result: 'valid', reasons: '', colour: 'green', icon: '✔' });
    expect(valid.details).toContain('福建省');
    expect(await verifyInPage(page, qrText(sm2))).toMatchObject({ result: 'valid', colour: 'green' });
    // side by side in the same page: an ES256 code from Zhejiang still verifies
    expect(await verifyInPage(page, codes.valid)).toMatchObject({ result: 'valid', colour: 'green' });

    const bad = [tampered, qrText(tampered), sIsN];
    for (const form of bad) {
      const inNode = await verifyAt(gd, form);
      expect(inNode.reasons.map((r) => r.code)).toEqual(['SIGNATURE_INVALID']);
      const inPage = await verifyInPage(page, form);
      expect(inPage).toMatchObject({
        result: inNode.result,
        reasons: 'SIGNATURE_INVALID',
        colour: 'invalid',
      });
      expect(inPage.details).toBe('');
    }
    await page.close();

    // and Fujian's own page (an SM2 province) verifies Zhejiang's ES256 code
    const own = await openCheck(context, fj);
    expect(await verifyInPage(own, codes.valid)).toMatchObject({ result: 'valid', colour: 'green' });
    expect(await verifyInPage(own, sm2)).toMatchObject({ result: 'valid', colour: 'green' });
    await own.close();
  });

  it('checks the holder binding in the page with scrypt', async () => {
    const page = await openCheck(context, gd);
    await verifyInPage(page, codes.valid);
    await page.click('#holder summary');
    await page.fill('#idNumber', HOLDER.idNumber.toLowerCase());
    await page.evaluate(() => document.getElementById('result')!.removeAttribute('data-result'));
    await page.click('#checkHolder');
    await page.waitForSelector('#result[data-result]');
    expect(await page.textContent('#details')).toMatch(/证件核对相符 \(用时 \d+ ms\)/);
    expect(await page.inputValue('#idNumber')).toBe(''); // the number is not kept on screen

    await page.fill('#idNumber', '110105194912310021');
    await page.evaluate(() => document.getElementById('result')!.removeAttribute('data-result'));
    await page.click('#checkHolder');
    await page.waitForSelector('#result[data-result]');
    expect((await shown(page)).reasons).toBe('HOLDER_MISMATCH');
    await page.close();
  });

  it('keeps verifying with the network cut after its first load, and sends nothing while verifying', async () => {
    const first = await openCheck(context, gd);
    await first.evaluate(() => navigator.serviceWorker.ready);
    await first.close();
    await context.setOffline(true);
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`${gd.url}/check/`);
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.getAttribute('#trust', 'data-state')).toBe('ok');
      expect(await page.textContent('#trust')).toContain('未能更新');
      const before = requests.length;
      expect((await verifyInPage(page, codes.valid)).result).toBe('valid');
      expect((await verifyInPage(page, codes.revoked)).reasons).toBe('CODE_REVOKED');
      expect(requests.slice(before)).toEqual([]);
      // nothing about a scanned code is kept: local storage holds only the list and the language
      const stored = await page.evaluate(() => Object.keys(localStorage).sort());
      expect(stored.every((k) => k === 'hcx.trustList.v1' || k === 'hcx.lang')).toBe(true);
      expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(codes.valid.slice(5, 60));
      await page.close();
    } finally {
      await context.setOffline(false);
    }
  });

  it('shows a code revoked by status index revoked, from the batch it fetched and cached, offline too', async () => {
    // the revoked code carries a status index, and the signed list names its segment and batch
    const claims = JSON.parse(
      Buffer.from(codes.revoked.slice(CODE_PREFIX.length).split('.')[1], 'base64url').toString('utf8'),
    ) as { si?: number };
    expect(typeof claims.si).toBe('number');
    const jws = await (await fetch(`${gd.url}/check/trust-list`)).text();
    const list = JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8')) as {
      statusSegments?: { region: string; segment: number; batch: string }[];
    };
    const row = list.statusSegments?.find((s) => s.segment === Math.floor(claims.si! / SEGMENT_BITS));
    expect(row?.region).toBe(zj.region);

    // a device that never saw the page: no list, no batch held
    const fresh = await browser.newContext();
    try {
      const page = await openCheck(fresh, gd);
      expect(await verifyInPage(page, codes.revoked)).toMatchObject({
        result: 'invalid',
        reasons: 'CODE_REVOKED',
      });
      expect((await verifyInPage(page, codes.valid)).result).toBe('valid');
      // the batch is kept in Cache Storage, under the URL the page fetched it from
      const cached = await page.evaluate(async () =>
        (await (await caches.open('hcx-status-batches')).keys()).map((r) => r.url),
      );
      expect(cached).toEqual([`${gd.url}/check/status-batches?hash=${row!.batch}`]);
      await page.evaluate(() => navigator.serviceWorker.ready);
      await page.close();
      await fresh.setOffline(true);
      const offline = await fresh.newPage();
      await offline.goto(`${gd.url}/check/`);
      await offline.waitForSelector('body[data-ready="true"]');
      expect(await offline.getAttribute('#trust', 'data-state')).toBe('ok');
      expect(await verifyInPage(offline, codes.revoked)).toMatchObject({
        result: 'invalid',
        reasons: 'CODE_REVOKED',
      });
      // the service worker answers the batch from its cache with the network cut
      const status = await offline.evaluate(
        async (url) => (await fetch(url)).status,
        `${gd.url}/check/status-batches?hash=${row!.batch}`,
      );
      expect(status).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it('holds no list rather than answer valid when the batch of a listed segment cannot be had', async () => {
    const blocked = await browser.newContext({ serviceWorkers: 'block' });
    try {
      await blocked.route('**/check/status-batches*', (route) => route.abort());
      const page = await openCheck(blocked, gd);
      expect(await page.getAttribute('#trust', 'data-state')).toBe('none');
      // without a usable list nothing verifies valid, the revoked code least of all
      expect((await verifyInPage(page, codes.revoked)).result).toBe('indeterminate');
    } finally {
      await blocked.close();
    }
  });

  it('answers indeterminate (TRUST_LIST_STALE) when the list it holds is past its expiry', async () => {
    const state = await context.storageState();
    const expiresAt = await (
      await openCheck(context, gd)
    ).evaluate(
      () =>
        (JSON.parse(localStorage.getItem('hcx.trustList.v1')!) as { base: { acceptedAt: number } }).base
          .acceptedAt,
    );
    const later = await browser.newContext({ storageState: state });
    // a day and an hour after the list was fetched: past its 24 h life, the code (7 days) still current
    await later.clock.install({ time: (expiresAt + 25 * 3600) * 1000 });
    await later.setOffline(true);
    await later.route('**/*', (route) => route.abort());
    await later.setOffline(false);
    const page = await later.newPage();
    await later.unrouteAll();
    await page.goto(`${gd.url}/check/`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.getAttribute('#trust', 'data-state')).toBe('stale');
    const stale = await verifyInPage(page, codes.valid);
    expect(stale).toMatchObject({
      result: 'indeterminate',
      reasons: 'TRUST_LIST_STALE',
      colour: 'indeterminate',
      verdict: '无法确定',
      icon: '?',
    });
    expect(await page.textContent('#reasons')).toContain('信任列表已过期');
    await later.close();
  });

  it('scans the code from the camera (a video of the QR hcx issue wrote)', async () => {
    // `hcx issue --qr` drew the QR form (`HCX2:` + digits), read by an independent decoder (jsQR)
    expect(decodePng(readFileSync(qrPng))).toBe(qrText(codes.valid));
    expect(qrText(codes.valid)).toMatch(/^HCX2:\d+$/);
    const page = await openCheck(context, gd);
    await page.click('#camera');
    await page.waitForSelector('#result[data-result]', { timeout: 20_000 });
    expect(await shown(page)).toMatchObject({ result: 'valid', colour: 'green' });
    expect(await page.isHidden('#video')).toBe(true); // the camera stops after a read
    await page.close();
  });

  it('shows the code from the wallet link as a QR that decodes to the exact code, offline too', async () => {
    // an hour's code: inside the page's six-hour warning window
    const link = (
      await issue({ node: zj.url, token: zj.internalToken, ...HOLDER, status: 'green', validity: 3600 })
    ).data.walletUrl;
    const code = decodeURIComponent(link.slice(link.indexOf('#') + 1));
    const page = await context.newPage();
    await page.goto(link);
    await page.waitForSelector('body[data-ready="true"]');
    expect(new URL(page.url()).hash).toBe(''); // read, then taken off the address bar
    expect(await page.getAttribute('#card', 'data-colour')).toBe('green');
    expect(await page.textContent('#card')).toContain('浙江省');
    expect(await page.textContent('#warning')).toMatch(/健康码将在 \d+ (分钟|小时)后过期/);
    // drawn as `hcx issue --qr` draws it: the QR form, which reads back to the exact code
    expect(await shownQr(page)).toBe(qrText(code));
    expect(codeFromQrText((await shownQr(page))!)).toBe(code);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await context.setOffline(true);
    try {
      await page.goto(`${zj.url}/wallet/`);
      await page.waitForSelector('body[data-ready="true"]');
      expect(await shownQr(page)).toBe(qrText(code));
    } finally {
      await context.setOffline(false);
    }
    await page.goto(`${zj.url}/wallet/#HCX1:not-a-code`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.isVisible('#warning')).toBe(true);
    expect(await shownQr(page)).toBe(qrText(code)); // the kept code stays
    // a link carrying the QR form (what a scanner returns) is taken too, kept in text form, and
    // clears the earlier refusal
    await page.goto(`${zj.url}/wallet/#${qrText(codes.yellow)}`);
    await page.waitForFunction(
      (want) => (document.getElementById('qr') as HTMLCanvasElement).dataset.code === want,
      codes.yellow,
    );
    expect(await page.isVisible('#warning')).toBe(false);
    expect(await page.getAttribute('#card', 'data-colour')).toBe('yellow');
    expect(await shownQr(page)).toBe(qrText(codes.yellow));
    expect(await page.evaluate(() => localStorage.getItem('hcx.wallet.code'))).toBe(codes.yellow);
    await page.close();
  });

  it('takes screenshots of both pages in both languages', async () => {
    const shots = mkdtempSync(join(tmpdir(), 'hcx-shots-'));
    try {
      for (const lang of ['zh', 'en']) {
        const check = await openCheck(context, gd, `?lang=${lang}`);
        await verifyInPage(check, codes.valid);
        await check.screenshot({ path: join(shots, `check-${lang}.png`) });
        await check.close();
        const wallet = await context.newPage();
        await wallet.goto(`${zj.url}/wallet/#${codes.valid}`);
        await wallet.goto(`${zj.url}/wallet/?lang=${lang}`);
        await wallet.waitForSelector('body[data-ready="true"]');
        await wallet.screenshot({ path: join(shots, `wallet-${lang}.png`) });
        await wallet.close();
      }
      for (const f of ['check-zh', 'check-en', 'wallet-zh', 'wallet-en']) {
        const png = PNG.sync.read(readFileSync(join(shots, `${f}.png`)));
        expect(png.width).toBe(412);
        const target = process.env.HCX_SCREENSHOTS_DIR;
        if (target) {
          mkdirSync(target, { recursive: true });
          copyFileSync(join(shots, `${f}.png`), join(target, `${f}.png`));
        }
      }
    } finally {
      rmSync(shots, { recursive: true, force: true });
    }
  });
});

/** The QR the page drew, read back from its canvas and decoded by jsQR (not the qrcode encoder). */
async function shownQr(page: Page): Promise<string | null> {
  const url = await page.evaluate(() =>
    (document.getElementById('qr') as HTMLCanvasElement).toDataURL('image/png'),
  );
  return decodePng(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
}

function decodePng(bytes: Buffer): string | null {
  const png = PNG.sync.read(bytes);
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}
