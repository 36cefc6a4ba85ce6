/**
 * Interoperability with stock jose: hcx codes (HCX2, in text and in QR form, and HCX1) verify with
 * jose and the key from the trust list, and jose-signed codes verify with hcx.
 */
import { CompactSign, compactVerify, createLocalJWKSet, importJWK } from 'jose';
import { qrText } from '../../functions/core/code/format';
import { verifyCode } from '../../functions/core/code/verify';
import { shortKid } from '../../functions/core/keys';
import { NOW, ZJ, province, snapshot, code, claimsOf, forge, legacyCodeHeader, trustList } from './fixtures';

/** The QR form back to the JWS, written here from the format's definition (not hcx's decoder). */
const jwsOfQrText = (text: string): string =>
  (text.slice(5).match(/../g) ?? []).map((pair) => String.fromCharCode(Number(pair) + 45)).join('');

describe('interoperability with jose', () => {
  it.each(['ES256', 'EdDSA'])(
    'an %s HCX2 code verifies with jose.compactVerify and the key its short kid names in the trust list',
    async (alg) => {
      const zj = await province(ZJ, alg);
      const issued = await code(zj);
      const list = trustList([zj]);
      const { kid } = JSON.parse(Buffer.from(issued.code.slice(5).split('.')[0], 'base64url').toString());
      const entries = list.provinces.flatMap((p) => p.keys).filter((k) => k.kid.startsWith(kid));
      expect(entries).toHaveLength(1);

      for (const jws of [issued.code.slice(5), jwsOfQrText(qrText(issued.code))]) {
        const { payload, protectedHeader } = await compactVerify(jws, await importJWK(entries[0].jwk, alg));
        expect(protectedHeader).toEqual({ alg, kid: shortKid(zj.key.kid), typ: 'hcx2' });
        expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(issued.claims);
      }
    },
  );

  it.each(['ES256', 'EdDSA'])(
    'a well-formed %s HCX2 code signed by plain jose verifies with hcx',
    async (alg) => {
      const zj = await province(ZJ, alg);
      const claims = { ...claimsOf((await code(zj)).code), jti: 'AAAAAAAAAAAAAAAAAAAAAA' };
      const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
        .setProtectedHeader({ alg, kid: shortKid(zj.key.kid), typ: 'hcx2' })
        .sign(await importJWK(zj.key.privateJwk, alg));

      for (const form of [`HCX2:${jws}`, qrText(`HCX2:${jws}`)]) {
        const result = await verifyCode(form, await snapshot([zj]), { now: NOW });
        expect([result.result, result.codeId]).toEqual(['valid', 'AAAAAAAAAAAAAAAAAAAAAA']);
      }
    },
  );

  it('an HCX1 code verifies with jose and the province JWKS, and with hcx until it expires', async () => {
    const zj = await province(ZJ);
    const legacy = {
      v: 1,
      iss: ZJ,
      jti: 'BBBBBBBBBBBBBBBBBBBBBB',
      iat: NOW - 60,
      exp: NOW + 3600,
      st: 'green',
      hn: '张**',
      hb: { alg: 'scrypt-v1', salt: 'A'.repeat(22), tag: 'A'.repeat(43) },
      idt: '10',
    };
    const token = await forge(zj, legacyCodeHeader(zj), legacy, 'HCX1:');
    const jwks = createLocalJWKSet({ keys: [{ ...zj.key.publicJwk, kid: zj.key.kid, alg: 'ES256' }] });
    expect((await compactVerify(token.slice(5), jwks)).protectedHeader.typ).toBe('hcx-code+jws');
    expect((await verifyCode(token, await snapshot([zj]), { now: NOW })).result).toBe('valid');
  });
});
