import { AuthenticationFailed } from '../../functions/core/errors';
import { LIMITS } from '../../functions/core/profiles';
import {
  verifySignedRequest,
  type EnrollmentKey,
  type VerifyRequestOptions,
} from '../../functions/core/signed-request';
import { DAY, FEDERATION, GD, NOW, nonce, signed, testKey, ZJ, type TestKey } from './fixtures';

let zj: TestKey;
let suspended = false;
const used = new Set<string>();
let consumed: string[];

const options = (over: Partial<VerifyRequestOptions> = {}): VerifyRequestOptions => ({
  federationId: FEDERATION,
  op: 'code.revoke',
  pathRegion: ZJ,
  now: NOW,
  enrollmentKeyFor: (region): EnrollmentKey | undefined =>
    region === ZJ
      ? { kid: zj.kid, alg: zj.alg, jwk: zj.publicJwk, status: suspended ? 'suspended' : 'active' }
      : undefined,
  consumeNonce: async (jti) => {
    consumed.push(jti);
    if (used.has(jti)) return false;
    used.add(jti);
    return true;
  },
  ...over,
});

const codeOp = { op: 'code.revoke' as const, codes: [{ jti: 'AAAAAAAAAAAAAAAAAAAAAA', exp: NOW + DAY }] };

const reasonOf = async (jws: unknown, over: Partial<VerifyRequestOptions> = {}) => {
  const e = await verifySignedRequest(jws, options(over)).catch((x: unknown) => x);
  return e instanceof AuthenticationFailed ? e.reason : e;
};

beforeAll(async () => {
  zj = await testKey();
});
beforeEach(() => {
  consumed = [];
  suspended = false;
});

describe('verifySignedRequest', () => {
  it('returns the payload of a valid request and consumes its nonce', async () => {
    const jti = nonce();
    const verified = await verifySignedRequest(await signed(zj.signer, ZJ, codeOp, { jti }), options());
    expect(verified.payload).toMatchObject({ op: 'code.revoke', region: ZJ, jti });
    expect(consumed).toEqual([jti]);
  });

  it.each([
    ['JWS_MALFORMED', async () => 'a.b.c', {}],
    ['UNKNOWN_PROVINCE', async () => signed(zj.signer, GD, codeOp), { pathRegion: GD }],
    ['KID_MISMATCH', async () => signed((await testKey()).signer, ZJ, codeOp), {}],
    ['WRONG_AUDIENCE', async () => signed(zj.signer, ZJ, codeOp, { aud: 'x' }), {}],
    ['STALE', async () => signed(zj.signer, ZJ, codeOp, { iat: NOW - LIMITS.clockSkew - 1 }), {}],
    ['STALE', async () => signed(zj.signer, ZJ, codeOp, { iat: NOW + LIMITS.clockSkew + 1 }), {}],
    ['OP_MISMATCH', async () => signed(zj.signer, ZJ, codeOp), { op: 'key.revoke' as const }],
    ['REGION_MISMATCH', async () => signed(zj.signer, GD, codeOp), {}],
    ['BAD_NONCE', async () => signed(zj.signer, ZJ, codeOp, { jti: 'x' }), {}],
  ])('refuses with reason %s and consumes no nonce', async (reason, make, over) => {
    expect(await reasonOf(await make(), over)).toBe(reason);
    expect(consumed).toEqual([]);
  });

  it('refuses a tampered payload with SIGNATURE_INVALID', async () => {
    const [h, , s] = (await signed(zj.signer, ZJ, codeOp)).split('.');
    const other = (await signed(zj.signer, ZJ, codeOp)).split('.')[1];
    expect(await reasonOf(`${h}.${other}.${s}`)).toBe('SIGNATURE_INVALID');
  });

  it('refuses a suspended province with PROVINCE_SUSPENDED', async () => {
    suspended = true;
    expect(await reasonOf(await signed(zj.signer, ZJ, codeOp))).toBe('PROVINCE_SUSPENDED');
  });

  it('refuses a replay with REPLAY', async () => {
    const jws = await signed(zj.signer, ZJ, codeOp);
    await verifySignedRequest(jws, options());
    expect(await reasonOf(jws)).toBe('REPLAY');
  });

  it('answers an authentic request that breaks the schema with REQUEST_INVALID, without using its nonce', async () => {
    const e = await verifySignedRequest(
      await signed(zj.signer, ZJ, { ...codeOp, codes: [] }),
      options(),
    ).catch((x) => x);
    expect(e.code).toBe('REQUEST_INVALID');
    expect(consumed).toEqual([]);
  });
});
