/**
 * SECURITY.md "Codes and every other JWS the system reads" at the core (`verifyCode`): the shared
 * table (test/kit/attacks.ts, also driven over HTTP by test/security/codes.test.ts), then the rows
 * that only make sense here, one test per row, by reason code.
 */
import { createHmac, createPublicKey } from 'node:crypto';
import { verifyCode } from '../../functions/core/code/verify';
import type { RegistrySnapshot } from '../../functions/core/registry';
import {
  NOW,
  ZJ,
  GD,
  province,
  snapshot,
  code,
  forge,
  claimsOf,
  codeHeader,
  type TestProvince,
} from './fixtures';
import { codeAttackRows, int32, P256_N, type AttackTarget } from '../kit/attacks';
import { b64 } from '../kit/domain';

describe('JWS attacks on codes', () => {
  let zj: TestProvince;
  let gd: TestProvince;
  let registry: RegistrySnapshot;
  let valid: string;
  let claims: Record<string, unknown>;
  const reasons = async (token: string) =>
    (await verifyCode(token, registry, { now: NOW })).reasons.map((r) => r.code);

  beforeAll(async () => {
    [zj, gd] = await Promise.all([province(ZJ), province(GD, 'EdDSA')]);
    registry = await snapshot([zj, gd]);
    valid = (await code(zj)).code;
    claims = claimsOf(valid);
  });
  const target = (): AttackTarget => ({ genuine: valid, claims, signer: zj.signer });

  it.each(codeAttackRows())('rejects %s as %s', async (_name, reason, attack) => {
    expect(await reasons(await attack.make(target()))).toEqual([reason]);
  });

  it('rejects a kid of 10 KB as MALFORMED (over HTTP the body cap refuses it first)', async () => {
    expect(await reasons(await forge(zj, { ...codeHeader(zj), kid: 'A'.repeat(10_240) }, claims))).toEqual([
      'MALFORMED',
    ]);
  });

  it.each(['pem', 'jwk', 'raw'])(
    'rejects HS256 signed with the public key (%s) as the secret',
    async (form) => {
      const pub = createPublicKey({ key: zj.key.publicJwk as never, format: 'jwk' });
      const secret =
        form === 'pem'
          ? pub.export({ type: 'spki', format: 'pem' })
          : form === 'jwk'
            ? JSON.stringify(zj.key.publicJwk)
            : Buffer.concat([
                Buffer.from(zj.key.publicJwk.x, 'base64url'),
                Buffer.from(zj.key.publicJwk.y!, 'base64url'),
              ]);
      const h = b64(JSON.stringify({ ...codeHeader(zj), alg: 'HS256' }));
      const p = b64(JSON.stringify(claims));
      const mac = createHmac('sha256', secret).update(`${h}.${p}`).digest();
      expect(await reasons(`HCX2:${h}.${p}.${b64(mac)}`)).toEqual(['UNSUPPORTED_ALG']);
    },
  );

  it('rejects a token of megabytes by size before parsing', async () => {
    expect(await reasons(`HCX2:${'A'.repeat(3_000_000)}.e30.AAAA`)).toEqual(['MALFORMED']);
  });

  it('identifies a code by its jti, so the malleated (r, n-s) twin is revoked with it', async () => {
    const issued = await code(zj);
    const [h, p, s] = issued.code.slice(5).split('.');
    const raw = Buffer.from(s, 'base64url');
    const twin = `HCX2:${h}.${p}.${b64(Buffer.concat([raw.subarray(0, 32), int32(P256_N - BigInt('0x' + raw.subarray(32).toString('hex')))]))}`;
    const revoked = await snapshot([zj], {
      revoked: [{ region: ZJ, jti: issued.codeId, exp: issued.claims.exp }],
    });
    const result = await verifyCode(twin, revoked, { now: NOW });
    expect(result.codeId).toBe(issued.codeId);
    expect(result.reasons.map((r) => r.code)).toEqual(['CODE_REVOKED']);
  });
});
