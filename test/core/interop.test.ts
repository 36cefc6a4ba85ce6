/** Interoperability with stock jose: hcx codes verify with jose, and jose-signed codes verify with hcx. */
import { CompactSign, compactVerify, createLocalJWKSet, importJWK } from 'jose';
import { verifyCode } from '../../functions/core/code/verify';
import { NOW, ZJ, province, snapshot, code, claimsOf } from './fixtures';

describe('interoperability with jose', () => {
  it.each(['ES256', 'EdDSA'])(
    'an %s code issued by hcx verifies with jose.compactVerify and the province JWKS',
    async (alg) => {
      const zj = await province(ZJ, alg);
      const issued = await code(zj);
      const jwks = createLocalJWKSet({ keys: [{ ...zj.key.publicJwk, kid: zj.key.kid, alg }] });

      const { payload, protectedHeader } = await compactVerify(issued.code.slice(5), jwks);

      expect(protectedHeader).toEqual({ alg, kid: zj.key.kid, typ: 'hcx-code+jws' });
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(issued.claims);
    },
  );

  it.each(['ES256', 'EdDSA'])('a well-formed %s code signed by plain jose verifies with hcx', async (alg) => {
    const zj = await province(ZJ, alg);
    const claims = { ...claimsOf((await code(zj)).code), jti: 'AAAAAAAAAAAAAAAAAAAAAA' };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg, kid: zj.key.kid, typ: 'hcx-code+jws' })
      .sign(await importJWK(zj.key.privateJwk, alg));

    const result = await verifyCode(`HCX1:${jws}`, await snapshot([zj]), { now: NOW });

    expect(result.result).toBe('valid');
    expect(result.codeId).toBe('AAAAAAAAAAAAAAAAAAAAAA');
  });
});
