/** SECURITY.md "Codes and every other JWS the system reads", one test per row, by reason code. */
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

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const int32 = (n: bigint) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex');

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

  it.each([
    'none',
    'None',
    'NONE',
    'nOnE',
    'HS256',
    'HS384',
    'HS512',
    'RS256',
    'PS256',
    'ES384',
    'es256',
    '',
  ])('rejects alg %j before any key lookup as UNSUPPORTED_ALG', async (alg) => {
    const [, p] = valid.slice(5).split('.');
    const h = b64(JSON.stringify({ ...codeHeader(zj), alg }));
    expect(await reasons(`HCX2:${h}.${p}.${b64('x'.repeat(32))}`)).toEqual(['UNSUPPORTED_ALG']);
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

  it("rejects an algorithm other than the key's own", async () => {
    const forged = await forge(zj, { ...codeHeader(zj), alg: 'EdDSA' }, claims);
    expect(await reasons(forged)).toEqual(['UNSUPPORTED_ALG']);
  });

  it.each([
    ['jwk', () => zj.key.publicJwk],
    ['jku', () => 'https://attacker.example/jwks.json'],
    ['x5u', () => 'https://attacker.example/cert.pem'],
    ['x5c', () => ['MIIB']],
    ['crit', () => ['exp']],
    ['b64', () => false],
  ])('rejects a %s header as FORBIDDEN_HEADER', async (name, value) => {
    expect(await reasons(await forge(zj, { ...codeHeader(zj), [name]: value() }, claims))).toEqual([
      'FORBIDDEN_HEADER',
    ]);
  });

  it.each([
    ['a path', '../../../../etc/passwd'],
    ['SQL', "' OR '1'='1' -- aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    ['a URL', 'https://attacker.example/k'],
    ['10 KB', 'A'.repeat(10_240)],
    ['a number', 7],
    ['an object', { $ne: null }],
  ])('rejects a kid that is %s as MALFORMED', async (_what, kid) => {
    expect(await reasons(await forge(zj, { ...codeHeader(zj), kid }, claims))).toEqual(['MALFORMED']);
  });

  it.each([
    'hcx-trust-list+jws',
    'hcx-request+jws',
    'hcx-trust-list-delta+jws',
    'JWT',
    'HCX-CODE+JWS',
    undefined,
  ])('rejects a token of type %j presented as a code', async (typ) => {
    expect(await reasons(await forge(zj, { ...codeHeader(zj), typ }, claims))).toEqual(['MALFORMED']);
  });

  it('rejects duplicate member names in the payload although jose would take the last', async () => {
    const text = JSON.stringify(claims).replace('{', `{"iss":"${GD}",`);
    expect(await reasons(await forge(zj, codeHeader(zj), text))).toEqual(['MALFORMED']);
  });

  it('rejects duplicate member names in the header', async () => {
    const text = JSON.stringify(codeHeader(zj)).replace('{', '{"alg":"none",');
    expect(await reasons(await forge(zj, text, claims))).toEqual(['MALFORMED']);
  });

  it.each([
    ['= padding on the payload', (h: string, p: string, s: string) => `${h}.${p}==.${s}`],
    [
      'a space inside a segment',
      (h: string, p: string, s: string) => `${h}.${p.slice(0, 5)} ${p.slice(5)}.${s}`,
    ],
    ['a newline inside a segment', (h: string, p: string, s: string) => `${h}\n.${p}.${s}`],
    [
      'standard base64 characters',
      (h: string, p: string, s: string) => `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}+`,
    ],
    [
      'non-zero unused bits in the last signature character',
      (h: string, p: string, s: string) =>
        `${h}.${p}.${s.slice(0, -1)}${String.fromCharCode(s.charCodeAt(s.length - 1) + 1)}`,
    ],
  ])('rejects %s as MALFORMED (one code, one string)', async (_what, mutate) => {
    const [h, p, s] = valid.slice(5).split('.');
    const mutated = mutate(h, p, s);
    expect(mutated).not.toBe(valid.slice(5));
    expect(await reasons(`HCX2:${mutated}`)).toEqual(['MALFORMED']);
  });

  it.each([
    ['two segments', 'a.b'],
    ['four segments', 'a.b.c.d'],
    ['an empty payload', 'eyJhbGciOiJFUzI1NiJ9..c2ln'],
    ['an empty signature', `${b64('{}')}.${b64('{}')}.`],
    ['JSON serialization', JSON.stringify({ payload: 'e30', signatures: [] })],
    ['a non-object header', `${b64('[1]')}.${b64('{}')}.${b64('x')}`],
    ['invalid UTF-8 in the header', `${b64(Buffer.from([0x7b, 0xff, 0x7d]))}.${b64('{}')}.${b64('x')}`],
  ])('rejects %s as MALFORMED', async (_what, jws) => {
    expect(await reasons(`HCX2:${jws}`)).toEqual(['MALFORMED']);
  });

  it('rejects a non-object payload and a payload with invalid UTF-8 as MALFORMED', async () => {
    expect(await reasons(await forge(zj, codeHeader(zj), '"just a string"'))).toEqual(['MALFORMED']);
    expect(await reasons(await forge(zj, codeHeader(zj), Buffer.from('{"hn":"\xff"}', 'latin1')))).toEqual([
      'MALFORMED',
    ]);
    expect(await reasons(await forge(zj, codeHeader(zj), '{"hn":"\\udc00"}'))).toEqual(['MALFORMED']);
  });

  it('rejects a token of megabytes by size before parsing', async () => {
    expect(await reasons(`HCX2:${'A'.repeat(3_000_000)}.e30.AAAA`)).toEqual(['MALFORMED']);
  });

  it.each([
    ['r = s = 0', () => Buffer.alloc(64)],
    ['r = n', (s: Buffer) => Buffer.concat([int32(P256_N), s.subarray(32)])],
    ['s = n', (s: Buffer) => Buffer.concat([s.subarray(0, 32), int32(P256_N)])],
    ['s > n', (s: Buffer) => Buffer.concat([s.subarray(0, 32), Buffer.alloc(32, 0xff)])],
  ])('rejects an ECDSA signature with %s as SIGNATURE_INVALID', async (_what, mutate) => {
    const [h, p, s] = valid.slice(5).split('.');
    expect(await reasons(`HCX2:${h}.${p}.${b64(mutate(Buffer.from(s, 'base64url')))}`)).toEqual([
      'SIGNATURE_INVALID',
    ]);
  });

  it('rejects a DER-encoded ECDSA signature as SIGNATURE_INVALID', async () => {
    const [h, p, s] = valid.slice(5).split('.');
    const raw = Buffer.from(s, 'base64url');
    const der = Buffer.concat([
      Buffer.from([0x30, 0x46, 0x02, 0x21, 0x00]),
      raw.subarray(0, 32),
      Buffer.from([0x02, 0x21, 0x00]),
      raw.subarray(32),
    ]);
    expect(await reasons(`HCX2:${h}.${p}.${b64(der)}`)).toEqual(['SIGNATURE_INVALID']);
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
