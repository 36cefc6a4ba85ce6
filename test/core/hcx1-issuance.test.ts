/**
 * Issuing HCX1 codes (a province configured `codeFormat: "HCX1"`, for tools written for the first
 * format): exactly the format `verifyCode` accepts under `HCX1:` (full kid, `v: 1`, `hb` a
 * scrypt-v1 object with a 16-byte salt and a 32-byte tag, no status index), verified by hcx and by
 * stock jose with the trust-list key, its QR symbol in byte mode (HCX1 has no numeric QR form).
 */
import { compactVerify, importJWK } from 'jose';
import QRCode, { type QRCodeSegment } from 'qrcode';
import { codeFromQrText, qrSegments, qrText } from '../../functions/core/code/format';
import { issueCode } from '../../functions/core/code/issue';
import { verifyCode } from '../../functions/core/code/verify';
import { holderMatches, LEGACY_HOLDER_BINDING_ALG } from '../../functions/core/holder';
import { CODE_FORMATS, DEFAULT_CODE_FORMAT, isCodeFormat } from '../../functions/core/profiles';
import { isCodeClaims, isLegacyCodeClaims } from '../../functions/core/schemas/validators';
import {
  ID_NUMBER,
  issueRequest,
  NOW,
  province,
  snapshot,
  trustList,
  ZJ,
  GD,
  type TestProvince,
} from './fixtures';

const HOLDER = { idType: '10', idNumber: ID_NUMBER };
const OTHER_HOLDER = { idType: '10', idNumber: '11010519491231003X' };

const part = (code: string, i: number) =>
  JSON.parse(Buffer.from(code.slice(5).split('.')[i], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

const issueHcx1 = (p: TestProvince, ago = 60) =>
  issueCode(p.signer, issueRequest(), { issuer: p.region, now: NOW - ago, format: 'HCX1' });

describe('HCX1 issuance', () => {
  let zj: TestProvince;
  beforeAll(async () => {
    zj = await province(ZJ);
  });

  it('is off unless asked for: HCX2 is the default, and only HCX2 and HCX1 are formats', async () => {
    expect(DEFAULT_CODE_FORMAT).toBe('HCX2');
    expect(CODE_FORMATS).toEqual(['HCX2', 'HCX1']);
    expect([isCodeFormat('HCX1'), isCodeFormat('HCX2'), isCodeFormat('HCX3'), isCodeFormat('hcx1')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    const plain = await issueCode(zj.signer, issueRequest(), { issuer: ZJ, now: NOW });
    expect(plain.code.startsWith('HCX2:')).toBe(true);
  });

  it('signs the HCX1 header: typ hcx-code+jws and the full 43-character thumbprint as kid', async () => {
    const issued = await issueHcx1(zj);
    expect(issued.code).toMatch(/^HCX1:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(part(issued.code, 0)).toEqual({ alg: 'ES256', kid: zj.key.kid, typ: 'hcx-code+jws' });
    expect(zj.key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('carries the HCX1 claim set: v 1, hb a scrypt-v1 object (16-byte salt, 32-byte tag), no si', async () => {
    const issued = await issueHcx1(zj);
    const claims = part(issued.code, 1);
    expect(Object.keys(claims)).toEqual(['v', 'iss', 'jti', 'iat', 'exp', 'st', 'hn', 'hb', 'idt']);
    expect(claims).toMatchObject({ v: 1, iss: ZJ, st: 'green', hn: '张**', idt: '10', jti: issued.codeId });
    const hb = claims.hb as { alg: string; salt: string; tag: string };
    expect(Object.keys(hb)).toEqual(['alg', 'salt', 'tag']);
    expect(hb.alg).toBe(LEGACY_HOLDER_BINDING_ALG);
    expect(Buffer.from(hb.salt, 'base64url')).toHaveLength(16);
    expect(Buffer.from(hb.tag, 'base64url')).toHaveLength(32);
    expect(isLegacyCodeClaims(claims)).toBe(true);
    expect(isCodeClaims(claims)).toBe(false);
    // what the province keeps is the code's own binding
    expect(issued.holderBinding).toEqual(hb);
    expect(issued.claims).toEqual(claims);
  });

  it('refuses a status index: the HCX1 claim set has none (its codes are revoked by id)', async () => {
    await expect(
      issueCode(zj.signer, issueRequest(), { issuer: ZJ, now: NOW, format: 'HCX1', statusIndex: 7 }),
    ).rejects.toThrow('an HCX1 code has no status index (si)');
  });

  it.each(['ES256', 'EdDSA'])(
    'an %s HCX1 code verifies valid with verifyCode, and its holder binding checks with scrypt-v1',
    async (alg) => {
      const p = await province(ZJ, alg);
      const issued = await issueHcx1(p);
      const registry = await snapshot([p, await province(GD)]);

      const plain = await verifyCode(issued.code, registry, { now: NOW });
      const bound = await verifyCode(issued.code, registry, { now: NOW, holder: HOLDER });
      const other = await verifyCode(issued.code, registry, { now: NOW, holder: OTHER_HOLDER });

      expect([plain.result, plain.reasons]).toEqual(['valid', []]);
      expect(plain).toMatchObject({ status: 'green', codeId: issued.codeId, issuer: { region: ZJ } });
      expect(bound.holder).toEqual({ maskedName: '张**', idType: '10', bound: true });
      expect([other.result, other.reasons.map((r) => r.code), other.holder?.bound]).toEqual([
        'invalid',
        ['HOLDER_MISMATCH'],
        false,
      ]);
      expect(await holderMatches(issued.holderBinding, '10', ID_NUMBER)).toBe(true);
      expect(await holderMatches(issued.holderBinding, '10', OTHER_HOLDER.idNumber)).toBe(false);
    },
    30_000,
  );

  it.each(['ES256', 'EdDSA'])(
    'an %s HCX1 code verifies with jose.compactVerify and the key its kid names in the trust list',
    async (alg) => {
      const p = await province(ZJ, alg);
      const issued = await issueHcx1(p);
      const { kid } = part(issued.code, 0);
      const entries = trustList([p])
        .provinces.flatMap((x) => x.keys)
        .filter((k) => k.kid === kid);
      expect(entries).toHaveLength(1);

      const { payload, protectedHeader } = await compactVerify(
        issued.code.slice('HCX1:'.length),
        await importJWK(entries[0].jwk, alg),
      );

      expect(protectedHeader).toEqual({ alg, kid: p.key.kid, typ: 'hcx-code+jws' });
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(issued.claims);
    },
  );

  it('is refused when it was not issued at the province its key belongs to, or once expired', async () => {
    const gd = await province(GD);
    const registry = await snapshot([zj, gd]);
    const forged = await issueCode(zj.signer, issueRequest(), { issuer: GD, now: NOW - 60, format: 'HCX1' });
    const old = await issueCode(zj.signer, issueRequest({ validitySeconds: 600 }), {
      issuer: ZJ,
      now: NOW - 3600,
      format: 'HCX1',
    });
    expect((await verifyCode(forged.code, registry, { now: NOW })).reasons.map((r) => r.code)).toEqual([
      'KEY_NOT_FOR_ISSUER',
    ]);
    expect((await verifyCode(old.code, registry, { now: NOW })).reasons.map((r) => r.code)).toEqual([
      'EXPIRED',
    ]);
  });

  it('draws its QR symbol in byte mode, as HCX1 did: the code itself, version 18 at M for a typical code', async () => {
    const issued = await issueHcx1(zj);
    expect(qrSegments(issued.code)).toEqual([{ data: issued.code, mode: 'byte' }]);
    expect(qrText(issued.code)).toBe(issued.code);
    expect(codeFromQrText(issued.code)).toBe(issued.code);
    const symbol = QRCode.create(qrSegments(issued.code) as QRCodeSegment[], { errorCorrectionLevel: 'M' });
    // the qrcode package's own segmentation of the plain string (what HCX1 issuance called) agrees
    const auto = QRCode.create(issued.code, { errorCorrectionLevel: 'M' });
    expect([issued.code.length, symbol.version, auto.version]).toEqual([522, 18, 18]);
  });
});
