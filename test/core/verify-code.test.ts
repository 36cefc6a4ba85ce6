import { verifyCode } from '../../functions/core/code/verify';
import { generateSigningKey } from '../../functions/core/keys';
import {
  NOW,
  DAY,
  ZJ,
  GD,
  ID_NUMBER,
  province,
  snapshot,
  code,
  forge,
  claimsOf,
  codeHeader,
  type TestProvince,
} from './fixtures';

const codes = (r: { reasons: { code: string }[] }) => r.reasons.map((x) => x.code);

describe('verifyCode', () => {
  let zj: TestProvince;
  let gd: TestProvince;
  beforeAll(async () => {
    [zj, gd] = await Promise.all([province(ZJ), province(GD, 'EdDSA')]);
  });

  it('accepts a fresh code from another province and reports its colour and display fields', async () => {
    const registry = await snapshot([zj, gd]);
    const issued = await code(zj, { status: 'yellow' });

    const result = await verifyCode(issued.code, registry, { now: NOW });

    expect(result.result).toBe('valid');
    expect(result.status).toBe('yellow');
    expect(result.issuer).toEqual({ region: ZJ, name: '浙江省' });
    expect(result.codeId).toBe(issued.codeId);
    expect(result.holder).toEqual({ maskedName: '张**', idType: '10', bound: null });
    expect(result.reasons).toEqual([]);
    expect(result.trustList).toEqual({ version: 7, ageSeconds: 60 });
  });

  it('accepts an EdDSA code', async () => {
    const result = await verifyCode((await code(gd)).code, await snapshot([zj, gd]), { now: NOW });
    expect(result.result).toBe('valid');
  });

  it('rejects a string without the HCX2 prefix as MALFORMED', async () => {
    const issued = await code(zj);
    const result = await verifyCode(issued.code.slice(5), await snapshot([zj]), { now: NOW });
    expect(result.result).toBe('invalid');
    expect(codes(result)).toEqual(['MALFORMED']);
  });

  it('rejects alg none as UNSUPPORTED_ALG', async () => {
    const forged = await forge(zj, { ...codeHeader(zj), alg: 'none' }, claimsOf((await code(zj)).code));
    expect(codes(await verifyCode(forged, await snapshot([zj]), { now: NOW }))).toEqual(['UNSUPPORTED_ALG']);
  });

  it('rejects an embedded jwk header as FORBIDDEN_HEADER', async () => {
    const forged = await forge(
      zj,
      { ...codeHeader(zj), jwk: zj.key.publicJwk },
      claimsOf((await code(zj)).code),
    );
    expect(codes(await verifyCode(forged, await snapshot([zj]), { now: NOW }))).toEqual(['FORBIDDEN_HEADER']);
  });

  it('rejects a key the registry does not hold as UNKNOWN_KEY', async () => {
    const result = await verifyCode((await code(zj)).code, await snapshot([gd]), { now: NOW });
    expect(codes(result)).toEqual(['UNKNOWN_KEY']);
  });

  it("rejects a code whose iss is another province than the key's as KEY_NOT_FOR_ISSUER", async () => {
    const claims = { ...claimsOf((await code(gd)).code), iss: ZJ };
    const forged = await forge(gd, codeHeader(gd), claims);
    expect(codes(await verifyCode(forged, await snapshot([zj, gd]), { now: NOW }))).toEqual([
      'KEY_NOT_FOR_ISSUER',
    ]);
  });

  it('rejects every code of a key revoked as compromised as KEY_REVOKED', async () => {
    const registry = await snapshot([zj], {
      key: () => ({ status: 'revoked', revokedAt: NOW - 1, reason: 'compromised' }),
    });
    expect(codes(await verifyCode((await code(zj, {}, 3600)).code, registry, { now: NOW }))).toEqual([
      'KEY_REVOKED',
    ]);
  });

  it('accepts a code issued before its key was superseded and rejects one issued after', async () => {
    const registry = await snapshot([zj], {
      key: () => ({ status: 'revoked', revokedAt: NOW - 600, reason: 'superseded' }),
    });
    const before = await code(zj, {}, 3600);
    const after = await code(zj, {}, 60);
    expect((await verifyCode(before.code, registry, { now: NOW })).result).toBe('valid');
    expect(codes(await verifyCode(after.code, registry, { now: NOW }))).toEqual(['KEY_REVOKED']);
  });

  it('rejects a code issued outside its key validity as KEY_NOT_VALID_AT_ISSUANCE', async () => {
    const registry = await snapshot([zj], { key: () => ({ notBefore: NOW - 30 }) });
    expect(codes(await verifyCode((await code(zj, {}, 60)).code, registry, { now: NOW }))).toEqual([
      'KEY_NOT_VALID_AT_ISSUANCE',
    ]);
  });

  it('rejects a code whose signature does not verify as SIGNATURE_INVALID', async () => {
    const issued = await code(zj);
    const [h, p] = issued.code.slice(5).split('.');
    const other = (await code(zj, { status: 'red' })).code.slice(5).split('.')[2];
    const result = await verifyCode(`HCX2:${h}.${p}.${other}`, await snapshot([zj]), { now: NOW });
    expect(codes(result)).toEqual(['SIGNATURE_INVALID']);
    expect(result.status).toBeNull();
  });

  it('rejects an authentic code with an extra claim as CLAIMS_INVALID', async () => {
    const forged = await forge(zj, codeHeader(zj), { ...claimsOf((await code(zj)).code), sleep: 7 });
    expect(codes(await verifyCode(forged, await snapshot([zj]), { now: NOW }))).toEqual(['CLAIMS_INVALID']);
  });

  it('rejects a code without exp, or living longer than the maximum, as CLAIMS_INVALID', async () => {
    const claims = claimsOf((await code(zj)).code);
    const { exp: _exp, ...noExp } = claims;
    const registry = await snapshot([zj]);
    const longLived = await forge(zj, codeHeader(zj), { ...claims, exp: (claims.iat as number) + 8 * DAY });
    const year2286 = await forge(zj, codeHeader(zj), { ...claims, exp: 9_999_999_999 });
    expect(codes(await verifyCode(await forge(zj, codeHeader(zj), noExp), registry, { now: NOW }))).toEqual([
      'CLAIMS_INVALID',
    ]);
    expect(codes(await verifyCode(longLived, registry, { now: NOW }))).toEqual(['CLAIMS_INVALID']);
    expect(codes(await verifyCode(year2286, registry, { now: NOW }))).toEqual(['CLAIMS_INVALID']);
  });

  it('rejects a code issued in the future beyond the clock skew as NOT_YET_VALID, and tolerates the skew', async () => {
    const registry = await snapshot([zj]);
    expect(codes(await verifyCode((await code(zj, {}, -600)).code, registry, { now: NOW }))).toEqual([
      'NOT_YET_VALID',
    ]);
    expect((await verifyCode((await code(zj, {}, -200)).code, registry, { now: NOW })).result).toBe('valid');
  });

  it('rejects an expired code as EXPIRED', async () => {
    const issued = await code(zj, { validitySeconds: 3600 }, 4000);
    expect(codes(await verifyCode(issued.code, await snapshot([zj]), { now: NOW }))).toEqual(['EXPIRED']);
  });

  it('rejects a revoked code as CODE_REVOKED', async () => {
    const issued = await code(zj);
    const registry = await snapshot([zj], {
      revoked: [{ region: ZJ, jti: issued.codeId, exp: issued.claims.exp }],
    });
    expect(codes(await verifyCode(issued.code, registry, { now: NOW }))).toEqual(['CODE_REVOKED']);
  });

  it('checks the holder binding: bound for the right document, HOLDER_MISMATCH otherwise', async () => {
    const issued = await code(zj);
    const registry = await snapshot([zj]);
    const good = await verifyCode(issued.code, registry, {
      now: NOW,
      holder: { idType: '10', idNumber: ID_NUMBER.toLowerCase() },
    });
    const bad = await verifyCode(issued.code, registry, {
      now: NOW,
      holder: { idType: '10', idNumber: '110105194912310038' },
    });
    expect(good.result).toBe('valid');
    expect(good.holder?.bound).toBe(true);
    expect(bad.result).toBe('invalid');
    expect(bad.holder?.bound).toBe(false);
    expect(codes(bad)).toEqual(['HOLDER_MISMATCH']);
  });

  it('rejects a code of a suspended province as ISSUER_SUSPENDED', async () => {
    const registry = await snapshot([zj], { suspended: [ZJ] });
    expect(codes(await verifyCode((await code(zj)).code, registry, { now: NOW }))).toEqual([
      'ISSUER_SUSPENDED',
    ]);
  });

  it('answers indeterminate with TRUST_LIST_STALE when the list is past its expiry', async () => {
    const registry = await snapshot([zj], { expiresAt: NOW - 1 });
    const result = await verifyCode((await code(zj)).code, registry, { now: NOW });
    expect(result.result).toBe('indeterminate');
    expect(codes(result)).toEqual(['TRUST_LIST_STALE']);
  });

  it('keeps a forged code invalid even when the list is stale', async () => {
    const registry = await snapshot([zj], { expiresAt: NOW - 1 });
    const result = await verifyCode('HCX2:e30.e30', registry, { now: NOW });
    expect(result.result).toBe('invalid');
    expect(codes(result)).toEqual(['MALFORMED', 'TRUST_LIST_STALE']);
  });

  it('refuses a trust-list key whose kid is not its thumbprint, so its codes are UNKNOWN_KEY', async () => {
    const other = await generateSigningKey();
    const registry = await snapshot([zj], { key: () => ({ kid: other.kid }) });
    expect(registry.refusedKids).toEqual([other.kid]);
    expect(codes(await verifyCode((await code(zj)).code, registry, { now: NOW }))).toEqual(['UNKNOWN_KEY']);
  });

  it('refuses a key listed for two provinces, so neither can use it', async () => {
    const registry = await snapshot([zj, { ...gd, key: zj.key }]);
    expect(registry.refusedKids).toEqual([zj.key.kid]);
    expect(codes(await verifyCode((await code(zj)).code, registry, { now: NOW }))).toEqual(['UNKNOWN_KEY']);
  });
});
