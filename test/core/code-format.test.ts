/**
 * The HCX2 code format (docs/code-format.md): its security properties by reason code, its QR form,
 * its size, and HCX1 codes still verifying until they expire.
 */
import fc from 'fast-check';
import QRCode, { type QRCodeSegment } from 'qrcode';
import {
  codeFromQrText,
  isQrForm,
  jwsFromDigits,
  qrSegments,
  qrText,
} from '../../functions/core/code/format';
import { issueCode } from '../../functions/core/code/issue';
import { isoTime, verifyCode } from '../../functions/core/code/verify';
import { bindHolder, LEGACY_HOLDER_BINDING_ALG } from '../../functions/core/holder';
import { parseCompactJws } from '../../functions/core/jws/compact';
import { shortKid } from '../../functions/core/keys';
import {
  CODE_PROFILE,
  LEGACY_CODE_PROFILE,
  REQUEST_PROFILE,
  TRUST_LIST_PROFILE,
  TRUST_LIST_DELTA_PROFILE,
} from '../../functions/core/profiles';
import { indexByShortKid, type RegisteredKey, type RegistrySnapshot } from '../../functions/core/registry';
import { signTrustList } from '../../functions/core/trustlist/trust-list';
import {
  claimsOf,
  code,
  codeHeader,
  forge,
  GD,
  ID_NUMBER,
  issueRequest,
  legacyCodeHeader,
  NOW,
  province,
  snapshot,
  trustList,
  ZJ,
  type TestProvince,
} from './fixtures';

let zj: TestProvince;
let gd: TestProvince;
let registry: RegistrySnapshot;
let genuine: string;
const reasons = async (token: string, holder?: { idType: string; idNumber: string }) =>
  (await verifyCode(token, registry, { now: NOW, ...(holder ? { holder } : {}) })).reasons.map((r) => r.code);
const HOLDER = { idType: '10', idNumber: ID_NUMBER };

beforeAll(async () => {
  [zj, gd] = await Promise.all([province(ZJ), province(GD, 'EdDSA')]);
  registry = await snapshot([zj, gd]);
  genuine = (await code(zj)).code;
});

describe('an HCX2 code', () => {
  it('has typ hcx2, the 11-character short kid and a flat payload without a version claim', () => {
    const [h] = genuine.slice(5).split('.');
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({
      alg: 'ES256',
      kid: shortKid(zj.key.kid),
      typ: 'hcx2',
    });
    const claims = claimsOf(genuine);
    expect(Object.keys(claims)).toEqual(['iss', 'jti', 'iat', 'exp', 'st', 'hn', 'hb', 'idt']);
    expect(claims.hb).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('needs QR version 13 or less at error correction M in its numeric QR form, with room to spare', () => {
    const symbol = QRCode.create(qrSegments(genuine) as QRCodeSegment[], { errorCorrectionLevel: 'M' });
    expect(symbol.version).toBeLessThanOrEqual(13);
    // 28 more JWS characters (a further claim of about 20 bytes) still fit in version 13.
    const bigger = `${genuine}${'A'.repeat(28)}`;
    expect(QRCode.create(qrSegments(bigger) as QRCodeSegment[], { errorCorrectionLevel: 'M' }).version).toBe(
      13,
    );
  });

  it('with the largest status index (si, docs/scale.md) still needs QR version 13 or less and verifies', async () => {
    const withSi = await issueCode(zj.signer, issueRequest(), {
      issuer: zj.region,
      now: NOW - 60,
      statusIndex: 2 ** 40 - 1,
    });
    expect(Object.keys(claimsOf(withSi.code))).toEqual([
      'iss',
      'jti',
      'iat',
      'exp',
      'st',
      'hn',
      'hb',
      'idt',
      'si',
    ]);
    expect(claimsOf(withSi.code).si).toBe(2 ** 40 - 1);
    expect(
      QRCode.create(qrSegments(withSi.code) as QRCodeSegment[], { errorCorrectionLevel: 'M' }).version,
    ).toBeLessThanOrEqual(13);
    expect((await verifyCode(withSi.code, registry, { now: NOW })).result).toBe('valid');
  });

  it('verifies in text form and in QR form, and binds the holder with scrypt-v2', async () => {
    expect(isQrForm(qrText(genuine))).toBe(true);
    expect(await reasons(genuine, HOLDER)).toEqual([]);
    expect(await reasons(qrText(genuine), HOLDER)).toEqual([]);
    expect((await verifyCode(qrText(genuine), registry, { now: NOW, holder: HOLDER })).holder).toMatchObject({
      bound: true,
    });
    expect(await reasons(genuine, { idType: '10', idNumber: '11010519491231003X' })).toEqual([
      'HOLDER_MISMATCH',
    ]);
  });

  it('is signed over every character: any single-character change of header or payload is never valid', async () => {
    const body = genuine.slice(5);
    const cut = body.lastIndexOf('.');
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: cut - 1 }), fc.constantFrom(...'AQgw-_0aZ.'), async (at, ch) => {
        fc.pre(body[at] !== ch);
        const changed = `HCX2:${body.slice(0, at)}${ch}${body.slice(at + 1)}`;
        for (const form of [changed, qrText(changed)]) {
          const [first] = await reasons(form);
          expect([
            'MALFORMED',
            'SIGNATURE_INVALID',
            'UNKNOWN_KEY',
            'UNSUPPORTED_ALG',
            'FORBIDDEN_HEADER',
          ]).toContain(first);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("is SIGNATURE_INVALID when its kid is swapped for another key's short kid", async () => {
    const other = await province(ZJ);
    const both = await snapshot([zj, other]);
    const [, p, sig] = genuine.slice(5).split('.');
    const h = Buffer.from(JSON.stringify({ ...codeHeader(zj), kid: shortKid(other.key.kid) })).toString(
      'base64url',
    );
    expect(
      (await verifyCode(`HCX2:${h}.${p}.${sig}`, both, { now: NOW })).reasons.map((r) => r.code),
    ).toEqual(['SIGNATURE_INVALID']);
  });

  it('is SIGNATURE_INVALID when its holder binding is swapped for that of a known ID number', async () => {
    const [h, , sig] = genuine.slice(5).split('.');
    const mine = (await code(zj)).claims.hb;
    const p = Buffer.from(JSON.stringify({ ...claimsOf(genuine), hb: mine })).toString('base64url');
    expect(await reasons(`HCX2:${h}.${p}.${sig}`, HOLDER)).toEqual(['SIGNATURE_INVALID']);
  });

  describe('never passes as another artefact or format (typ, prefix and kid shape): MALFORMED', () => {
    it.each([
      ['an HCX2 JWS under the HCX1 prefix', () => `HCX1:${genuine.slice(5)}`],
      ['an HCX2 JWS without prefix', () => genuine.slice(5)],
      ['an HCX2 JWS in QR form under the HCX1 prefix', () => `HCX1:${qrText(genuine).slice(5)}`],
    ])('%s', async (_, token) => {
      expect(await reasons(token())).toEqual(['MALFORMED']);
    });

    it.each([
      ['typ hcx-code+jws (HCX1) with a short kid', { typ: 'hcx-code+jws' }],
      ['typ hcx-trust-list+jws', { typ: 'hcx-trust-list+jws' }],
      ['typ hcx-request+jws', { typ: 'hcx-request+jws' }],
      ['typ JWT', { typ: 'JWT' }],
      ['no typ', { typ: undefined }],
      ['the full thumbprint as kid', { kid: 'FULL' }],
      ['a 12-character kid', { kid: 'TWELVE' }],
    ])('a code signed by a known key with %s', async (_, over: Record<string, unknown>) => {
      const header: Record<string, unknown> = { ...codeHeader(zj), ...over };
      if (over.kid === 'FULL') header.kid = zj.key.kid;
      if (over.kid === 'TWELVE') header.kid = zj.key.kid.slice(0, 12);
      const forged = await forge(zj, header, claimsOf(genuine));
      expect(await reasons(forged)).toEqual(['MALFORMED']);
      expect(await reasons(qrText(forged))).toEqual(['MALFORMED']);
    });

    it('an HCX1 code (typ hcx-code+jws, full kid) under the HCX2 prefix', async () => {
      const legacy = await forge(zj, legacyCodeHeader(zj), { ...claimsOf(genuine), v: 1 }, 'HCX1:');
      expect(await reasons(`HCX2:${legacy.slice(5)}`)).toEqual(['MALFORMED']);
    });

    it('a signed trust list under the HCX2 prefix, and a code read as a trust list, delta or request', async () => {
      const list = await signTrustList(zj.signer, trustList([zj]));
      expect(await reasons(`HCX2:${list}`)).toEqual(['MALFORMED']);
      for (const profile of [
        TRUST_LIST_PROFILE,
        TRUST_LIST_DELTA_PROFILE,
        REQUEST_PROFILE,
        LEGACY_CODE_PROFILE,
      ]) {
        expect(() => parseCompactJws(genuine.slice(5), profile)).toThrow(
          expect.objectContaining({ reason: 'MALFORMED' }),
        );
      }
      expect(parseCompactJws(genuine.slice(5), CODE_PROFILE).kid).toBe(shortKid(zj.key.kid));
    });
  });

  it.each([
    ['an odd number of digits', (q: string) => q.slice(0, -1)],
    ['a pair above 77', (q: string) => `${q.slice(0, 7)}78${q.slice(9)}`],
    ['a letter among the digits', (q: string) => `${q.slice(0, 7)}a${q.slice(8)}`],
    ['a space among the digits', (q: string) => `${q.slice(0, 7)} ${q.slice(8)}`],
    ['a pair decoding outside base64url (47 = "/")', (q: string) => `${q.slice(0, 9)}02${q.slice(11)}`],
    ['more than twice the longest code in digits', () => `HCX2:${'0'.repeat(4097)}`],
  ])('in QR form, is MALFORMED with %s', async (_, change) => {
    expect(await reasons(change(qrText(genuine)))).toEqual(['MALFORMED']);
  });

  it('QR form conversions round-trip and leave anything else unchanged', () => {
    expect(codeFromQrText(qrText(genuine))).toBe(genuine);
    expect(jwsFromDigits(qrText(genuine), 5)).toBe(genuine.slice(5));
    expect(codeFromQrText('HCX1:abc')).toBe('HCX1:abc');
    expect(codeFromQrText('HCX2:123')).toBe('HCX2:123');
    expect(qrText('HCX1:abc')).toBe('HCX1:abc');
    expect(qrSegments('HCX1:abc')).toEqual([{ data: 'HCX1:abc', mode: 'byte' }]);
  });

  it('digit pairs decode only when every pair is 00-77 (the table decoder agrees with the definition)', async () => {
    // The definition: two ASCII digits a pair, 00-77, each the character 45 above it.
    const definition = (digits: string): string | undefined => {
      if (digits.length === 0 || digits.length % 2 !== 0 || !/^[0-9]*$/.test(digits)) return undefined;
      let out = '';
      for (let i = 0; i < digits.length; i += 2) {
        const v = Number(digits.slice(i, i + 2));
        if (v > 77) return undefined;
        out += String.fromCharCode(v + 45);
      }
      return out;
    };
    for (let v = 0; v <= 99; v++) {
      const pair = v < 10 ? `0${v}` : `${v}`;
      expect(jwsFromDigits(`HCX2:${pair}`, 5)).toBe(v <= 77 ? String.fromCharCode(v + 45) : undefined);
    }
    // Characters that are not ASCII digits, including ones whose low byte is a digit ('İ' is U+0130).
    for (const intruder of ['\u0130', '\u0131', '\u3130', '\u0000', ':', '/', 'a', ' ', '\u00b0'])
      for (const at of [0, 1, 6, 7]) {
        const digits = `${'01'.repeat(4).slice(0, at)}${intruder}${'01'.repeat(4).slice(at + 1)}`;
        expect(jwsFromDigits(`HCX2:${digits}`, 5)).toBeUndefined();
        expect(await reasons(`HCX2:${digits}`)).toEqual(['MALFORMED']);
      }
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 40 }), (digits) => {
        expect(jwsFromDigits(`HCX2:${digits}`, 5)).toBe(definition(digits));
      }),
      { numRuns: 2000 },
    );
    // Longer than any code (a buffer of its own): the same answer.
    expect(jwsFromDigits(`HCX2:${'12'.repeat(6000)}`, 5)).toBe('9'.repeat(6000));
    expect(jwsFromDigits(`HCX2:${'12'.repeat(6000)}78`, 5)).toBeUndefined();
  });
});

describe('short kids in a trust list', () => {
  const key = (kid: string, region: string) => ({ kid, region }) as unknown as RegisteredKey;

  it('name exactly one key: a short kid two keys share names neither, whatever their order', () => {
    const a = key(`abcdefghijk${'A'.repeat(32)}`, ZJ);
    const b = key(`abcdefghijk${'B'.repeat(32)}`, GD);
    const c = key(`abcdefghijk${'C'.repeat(32)}`, GD);
    const d = key(`zyxwvutsrqp${'A'.repeat(32)}`, GD);
    for (const keys of [
      [a, b, d],
      [b, a, d],
      [a, b, c, d],
    ]) {
      const index = indexByShortKid(keys);
      expect(index.has('abcdefghijk')).toBe(false);
      expect(index.get('zyxwvutsrqp')).toBe(d);
    }
  });

  it('index every usable key of a snapshot by its short kid', () => {
    expect(registry.shortKeys.get(shortKid(zj.key.kid))?.kid).toBe(zj.key.kid);
    expect(registry.shortKeys.get(shortKid(gd.key.kid))?.region).toBe(GD);
  });
});

describe('HCX1 codes (the first format) until they expire', () => {
  const legacyClaims = async (over: Record<string, unknown> = {}) => ({
    v: 1,
    ...claimsOf(genuine),
    hb: await bindHolder('10', ID_NUMBER, LEGACY_HOLDER_BINDING_ALG),
    ...over,
  });

  it('verify with their full kid and scrypt-v1 holder binding', async () => {
    const legacy = await forge(zj, legacyCodeHeader(zj), await legacyClaims(), 'HCX1:');
    expect(await reasons(legacy, HOLDER)).toEqual([]);
    expect(await reasons(legacy, { idType: '10', idNumber: '11010519491231003X' })).toEqual([
      'HOLDER_MISMATCH',
    ]);
  });

  it('expire as before, and an HCX1 code with HCX2 claims is CLAIMS_INVALID', async () => {
    const expired = await forge(
      zj,
      legacyCodeHeader(zj),
      await legacyClaims({ iat: NOW - 3600, exp: NOW - 400 }),
      'HCX1:',
    );
    expect(await reasons(expired)).toEqual(['EXPIRED']);
    const mixed = await forge(zj, legacyCodeHeader(zj), claimsOf(genuine), 'HCX1:');
    expect(await reasons(mixed)).toEqual(['CLAIMS_INVALID']);
  });

  it('with a short kid is MALFORMED', async () => {
    const forged = await forge(
      zj,
      { ...legacyCodeHeader(zj), kid: shortKid(zj.key.kid) },
      await legacyClaims(),
      'HCX1:',
    );
    expect(await reasons(forged)).toEqual(['MALFORMED']);
  });
});

it('isoTime writes exactly what Date.toISOString writes, over the whole NumericDate range', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_102_444_800 }), (s) => {
      expect(isoTime(s)).toBe(new Date(s * 1000).toISOString());
    }),
    { numRuns: 5000 },
  );
  for (const s of [0, 951_782_400, 951_868_799, 4_102_444_800, 1_709_251_199]) {
    expect(isoTime(s)).toBe(new Date(s * 1000).toISOString());
  }
});
