/**
 * The conformance vectors and JWS attacks the core passes in Node (test/core/vectors.test.ts,
 * jws-attacks.test.ts) pass in Chromium too, through the same core bundled as the checkpoint page
 * bundles it (signatures on WebCrypto): every Wycheproof ECDSA P-256 and Ed25519 vector gives its
 * expected answer, the GM/T 0003.5 SM2 example signature (SM3 and the curve in JavaScript: WebCrypto
 * has neither) verifies and its altered forms do not, as in Node, and every attack code, ES256,
 * EdDSA and SM2, gets the same verification result, field for field, as in Node.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { algorithmByName } from '../../functions/core/algorithms';
import { qrText } from '../../functions/core/code/format';
import { verifyCode } from '../../functions/core/code/verify';
import { bindHolder, LEGACY_HOLDER_BINDING_ALG } from '../../functions/core/holder';
import { acceptPublicKey } from '../../functions/core/keys';
import { buildSnapshot } from '../../functions/core/registry';
import { sm2 } from '../../functions/core/sm2';
import type { VerificationResult } from '../../functions/core/schemas/types.gen';
import { browserBuildOptions } from '../../web/build';
import {
  DAY,
  NOW,
  ZJ,
  GD,
  ID_NUMBER,
  code,
  codeHeader,
  claimsOf,
  forge,
  legacyCodeHeader,
  province,
  trustList,
} from '../core/fixtures';
import { describeWithChromium, launchChromium } from './chromium';

const FJ = '350000'; // an SM2 province beside Zhejiang (ES256) and Guangdong (EdDSA)
const vectors = (file: string) => JSON.parse(readFileSync(join(__dirname, '..', 'vectors', file), 'utf8'));
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');

interface SigTest {
  tcId: number;
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
}

describeWithChromium('the shared core in Chromium (WebCrypto)', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const out = await build({
      ...browserBuildOptions(),
      entryPoints: [join(__dirname, 'harness-entry.ts')],
      outfile: 'harness.js',
    });
    const js = out.outputFiles![0].contents;
    server = createServer((req, res) => {
      if (req.url === '/harness.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<script src="/harness.js"></script>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(
      await page.evaluate(() => (window as never as { hcxCore: { webCrypto: string } }).hcxCore.webCrypto),
    ).toBe('object');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function runVectors(alg: string, cases: { jwk: object; t: SigTest }[]): Promise<boolean[]> {
    return page.evaluate(
      async ({ alg, cases }) => {
        const core = (window as never as { hcxCore: { verifyWith: (...a: unknown[]) => Promise<boolean> } })
          .hcxCore;
        const out: boolean[] = [];
        for (const c of cases) out.push(await core.verifyWith(alg, c.jwk, c.t.msg, c.t.sig));
        return out;
      },
      { alg, cases },
    );
  }

  it('gives every Wycheproof ECDSA P-256 SHA-256 (P1363) vector its expected result', async () => {
    const file = vectors('wycheproof/ecdsa_secp256r1_sha256_p1363_test.json');
    const coord = (h: string) =>
      Buffer.from(h.replace(/^00/, '').padStart(64, '0'), 'hex').toString('base64url');
    const cases = file.testGroups.flatMap(
      (g: { publicKeyJwk?: object; publicKey: { wx: string; wy: string }; tests: SigTest[] }) =>
        g.tests.map((t) => ({
          jwk: {
            ...(g.publicKeyJwk ?? {
              kty: 'EC',
              crv: 'P-256',
              x: coord(g.publicKey.wx),
              y: coord(g.publicKey.wy),
            }),
            kid: undefined,
          },
          t,
        })),
    );
    expect(cases).toHaveLength(file.numberOfTests);
    const got = await runVectors('ES256', cases);
    const wrong = cases.filter(
      (c: { t: SigTest }, i: number) => c.t.result !== 'acceptable' && got[i] !== (c.t.result === 'valid'),
    );
    expect(wrong.map((c: { t: SigTest }) => c.t.tcId)).toEqual([]);
    expect(got.filter(Boolean).length).toBeGreaterThan(0);
  });

  it('gives every Wycheproof Ed25519 vector its expected result', async () => {
    const file = vectors('wycheproof/ed25519_test.json');
    const cases = file.testGroups.flatMap((g: { publicKeyJwk: object; tests: SigTest[] }) =>
      g.tests.map((t) => ({ jwk: { ...g.publicKeyJwk, kid: undefined }, t })),
    );
    expect(cases).toHaveLength(file.numberOfTests);
    const got = await runVectors('EdDSA', cases);
    const wrong = cases.filter(
      (c: { t: SigTest }, i: number) => c.t.result !== 'acceptable' && got[i] !== (c.t.result === 'valid'),
    );
    expect(wrong.map((c: { t: SigTest }) => c.t.tcId)).toEqual([]);
    expect(got.filter(Boolean).length).toBeGreaterThan(0);
  });

  it('verifies the GM/T 0003.5 SM2 example signature and refuses its altered forms, as Node does', async () => {
    // GM/T 0003.5-2012 Annex A = GB/T 32918.5 (as in test/core/sm2.test.ts): default ID, message
    // "message digest"; the key from its d, (r, s) as published
    const { x, y } = sm2.publicPointOf(
      Buffer.from('3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8', 'hex'),
    );
    const jwk = { kty: 'EC', crv: 'SM2', x: x.toString('base64url'), y: y.toString('base64url') };
    const r = 'F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3';
    const sv = 'B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA';
    const n = 'FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123';
    const msg = Buffer.from('message digest').toString('hex');
    const cases: [string, object, string, string, boolean][] = [
      ['published signature', jwk, msg, r + sv, true],
      ['message changed', jwk, `${msg}21`, r + sv, false],
      ['s changed', jwk, msg, r + sv.replace(/A$/, 'B'), false],
      ['s = n', jwk, msg, r + n, false],
      ['r = 0', jwk, msg, '0'.repeat(64) + sv, false],
      ['short', jwk, msg, r + sv.slice(2), false],
      ['point off the curve', { ...jwk, y: Buffer.alloc(32, 1).toString('base64url') }, msg, r + sv, false],
    ];
    const inNode: boolean[] = [];
    for (const [, key, m, sig] of cases) {
      try {
        const accepted = await acceptPublicKey(key, 'SM2');
        const alg = algorithmByName('SM2')!;
        const bytes = Buffer.from(sig, 'hex');
        inNode.push(
          bytes.length === alg.signatureLength &&
            (await alg.verify(alg.importPublicKey(accepted.jwk), Buffer.from(m, 'hex'), bytes)),
        );
      } catch {
        inNode.push(false);
      }
    }
    const inPage = await page.evaluate(
      async ({ cases }) => {
        const core = (window as never as { hcxCore: { verifyWith: (...a: unknown[]) => Promise<boolean> } })
          .hcxCore;
        const out: boolean[] = [];
        for (const [, key, m, sig] of cases) out.push(await core.verifyWith('SM2', key, m, sig));
        return out;
      },
      { cases },
    );
    const want = Object.fromEntries(cases.map(([name, , , , ok]) => [name, ok]));
    expect(Object.fromEntries(cases.map(([name], i) => [name, inNode[i]]))).toEqual(want);
    expect(Object.fromEntries(cases.map(([name], i) => [name, inPage[i]]))).toEqual(want);
  });

  it('answers every attack code exactly as the core does in Node, with the expected reason', async () => {
    const [zj, gd, fj] = await Promise.all([province(ZJ), province(GD, 'EdDSA'), province(FJ, 'SM2')]);
    const sm2Code = (await code(fj)).code;
    const [sh, sp, ss] = sm2Code.slice(5).split('.');
    const sm2Sig = Buffer.from(ss, 'base64url');
    const sm2N = Buffer.from('fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123', 'hex');
    const valid = (await code(zj)).code;
    const revoked = await code(zj);
    const claims = claimsOf(valid);
    const [h, p, s] = valid.slice(5).split('.');
    const raw = Buffer.from(s, 'base64url');
    const highS = (
      BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551') -
      BigInt(`0x${raw.subarray(32).toString('hex')}`)
    )
      .toString(16)
      .padStart(64, '0');
    const list = trustList([zj, gd, fj], {
      revoked: [{ region: ZJ, jti: claimsOf(revoked.code).jti as string, exp: NOW + DAY }],
    });
    const legacy = await forge(
      zj,
      legacyCodeHeader(zj),
      { v: 1, ...claims, hb: await bindHolder('10', ID_NUMBER, LEGACY_HOLDER_BINDING_ALG) },
      'HCX1:',
    );
    const attacks: [string, string, string[]][] = [
      ['valid', valid, []],
      ['EdDSA code', (await code(gd)).code, []],
      ['SM2 code', sm2Code, []],
      ['SM2 code, QR form', qrText(sm2Code), []],
      [
        'SM2 code, payload changed',
        `HCX2:${sh}.${b64(JSON.stringify({ ...claimsOf(sm2Code), st: 'red' }))}.${ss}`,
        ['SIGNATURE_INVALID'],
      ],
      [
        'SM2 code, s = n',
        `HCX2:${sh}.${sp}.${b64(Buffer.concat([sm2Sig.subarray(0, 32), sm2N]))}`,
        ['SIGNATURE_INVALID'],
      ],
      [
        'SM2 code, r = 0',
        `HCX2:${sh}.${sp}.${b64(Buffer.concat([Buffer.alloc(32), sm2Sig.subarray(32)]))}`,
        ['SIGNATURE_INVALID'],
      ],
      ['SM2 code, zero signature', `HCX2:${sh}.${sp}.${b64(Buffer.alloc(64))}`, ['SIGNATURE_INVALID']],
      [
        'SM2 header on an ES256 key',
        await forge(zj, { ...codeHeader(zj), alg: 'SM2' }, claims),
        ['UNSUPPORTED_ALG'],
      ],
      [
        'ES256 header on an SM2 key',
        await forge(fj, { ...codeHeader(fj), alg: 'ES256' }, claimsOf(sm2Code)),
        ['UNSUPPORTED_ALG'],
      ],
      ['revoked', revoked.code, ['CODE_REVOKED']],
      ['alg none', `HCX2:${b64(JSON.stringify({ ...codeHeader(zj), alg: 'none' }))}.${p}.`, ['MALFORMED']],
      [
        'alg none, signature',
        `HCX2:${b64(JSON.stringify({ ...codeHeader(zj), alg: 'none' }))}.${p}.${b64('x'.repeat(32))}`,
        ['UNSUPPORTED_ALG'],
      ],
      [
        'HS256 with the public key',
        `HCX2:${b64(JSON.stringify({ ...codeHeader(zj), alg: 'HS256' }))}.${p}.${b64(createHmac('sha256', JSON.stringify(zj.key.publicJwk)).update(`${h}.${p}`).digest())}`,
        ['UNSUPPORTED_ALG'],
      ],
      [
        'algorithm of another key',
        await forge(zj, { ...codeHeader(zj), alg: 'EdDSA' }, claims),
        ['UNSUPPORTED_ALG'],
      ],
      [
        'embedded jwk',
        await forge(zj, { ...codeHeader(zj), jwk: zj.key.publicJwk }, claims),
        ['FORBIDDEN_HEADER'],
      ],
      ['crit', await forge(zj, { ...codeHeader(zj), crit: ['exp'] }, claims), ['FORBIDDEN_HEADER']],
      ['wrong typ', await forge(zj, { ...codeHeader(zj), typ: 'JWT' }, claims), ['MALFORMED']],
      [
        'duplicate claim',
        await forge(zj, codeHeader(zj), JSON.stringify(claims).replace('{', `{"iss":"${GD}",`)),
        ['MALFORMED'],
      ],
      [
        'invalid UTF-8',
        await forge(zj, codeHeader(zj), Buffer.from('{"hn":"\xff"}', 'latin1')),
        ['MALFORMED'],
      ],
      ['padded base64url', `HCX2:${h}.${p}=.${s}`, ['MALFORMED']],
      [
        'standard base64',
        `HCX2:${h}.${p}.${raw.toString('base64')}`,
        raw.toString('base64') === s ? [] : ['MALFORMED'],
      ],
      [
        'payload changed',
        `HCX2:${h}.${b64(JSON.stringify({ ...claims, st: 'red' }))}.${s}`,
        ['SIGNATURE_INVALID'],
      ],
      [
        'high-s twin',
        `HCX2:${h}.${p}.${b64(Buffer.concat([raw.subarray(0, 32), Buffer.from(highS, 'hex')]))}`,
        [],
      ],
      ['zero signature', `HCX2:${h}.${p}.${b64(Buffer.alloc(64))}`, ['SIGNATURE_INVALID']],
      ['short signature', `HCX2:${h}.${p}.${b64(raw.subarray(0, 63))}`, ['SIGNATURE_INVALID']],
      [
        'issued by a key of another province',
        await forge(gd, codeHeader(gd), claims),
        ['KEY_NOT_FOR_ISSUER'],
      ],
      [
        'unknown key',
        await forge(await province(ZJ), { ...codeHeader(zj), kid: 'A'.repeat(11) }, claims),
        ['UNKNOWN_KEY'],
      ],
      [
        'expired',
        await forge(zj, codeHeader(zj), { ...claims, iat: NOW - 3 * DAY, exp: NOW - 2 * DAY }),
        ['EXPIRED'],
      ],
      ['QR form', qrText(valid), []],
      [
        'QR form, payload changed',
        qrText(`HCX2:${h}.${b64(JSON.stringify({ ...claims, st: 'red' }))}.${s}`),
        ['SIGNATURE_INVALID'],
      ],
      ['QR form, odd number of digits', `${qrText(valid)}0`, ['MALFORMED']],
      ['HCX1 (legacy) code', legacy, []],
      ['HCX1 JWS under the HCX2 prefix', `HCX2:${legacy.slice(5)}`, ['MALFORMED']],
      ['HCX2 JWS under the HCX1 prefix', `HCX1:${h}.${p}.${s}`, ['MALFORMED']],
      ['not a code', 'hello', ['MALFORMED']],
      ['megabytes', `HCX2:${'A'.repeat(3_000_000)}.e30.AAAA`, ['MALFORMED']],
    ];
    const registry = await buildSnapshot(list);
    const inNode: VerificationResult[] = [];
    for (const [, c] of attacks) inNode.push(await verifyCode(c, registry, { now: NOW }));
    const inPage = await page.evaluate(
      ({ list, codes, now }) =>
        (
          window as never as { hcxCore: { verifyCodes: (...a: unknown[]) => Promise<unknown[]> } }
        ).hcxCore.verifyCodes(list, codes, now),
      { list, codes: attacks.map(([, c]) => c), now: NOW },
    );
    expect(inPage).toEqual(inNode);
    expect(
      Object.fromEntries(attacks.map(([name], i) => [name, inNode[i].reasons.map((r) => r.code)])),
    ).toEqual(Object.fromEntries(attacks.map(([name, , want]) => [name, want])));
  });
});
