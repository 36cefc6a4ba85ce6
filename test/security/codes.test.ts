/**
 * SECURITY.md "Codes and every other JWS the system reads", end to end: every forged or malformed
 * code is sent to a province node's POST /v1/codes/verify over real HTTP and must come back with
 * the row's reason code. Forgeries are signed with the federation's real issuer keys, so the one
 * property under attack is the only thing wrong with them.
 */
import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { generateSigningKey } from '../../functions/core/keys';
import { LIMITS } from '../../functions/core/profiles';
import { LocalKeySigner, type Signer } from '../../functions/core/signer';
import {
  b64,
  claimsOf,
  codeHeader,
  expectProblem,
  forge,
  int32,
  issue,
  now,
  P256_N,
  post,
  postSigned,
  reasonsAt,
  request,
  segments,
  signedRequest,
  startSecurityFederation,
  startVerifierNode,
  verifyAt,
  type SecurityFederation,
} from './helpers';

let s: SecurityFederation;
let zjKey: Signer;
let verifier: string;
let genuine: string;
let claims: Record<string, unknown>;

beforeAll(async () => {
  s = await startSecurityFederation();
  zjKey = s.issuer[s.zj.region];
  verifier = s.gd.url;
  genuine = (await issue(s.zj)).code;
  claims = claimsOf(genuine);
}, 60_000);
afterAll(() => s?.fed.close());

/** A forgery of the genuine code's claims, signed with Zhejiang's real key under `header`. */
const forgeWith = (header: object | string, payload: object | string | Buffer = claims) =>
  forge(zjKey, header, payload);

describe('a forged or malformed code sent to POST /v1/codes/verify', () => {
  it('is accepted when genuine (the baseline every forgery below departs from)', async () => {
    expect(await verifyAt(verifier, genuine)).toMatchObject({ result: 'valid', reasons: [] });
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
  ])('is rejected as UNSUPPORTED_ALG when its alg is %j, before any key lookup', async (alg) => {
    const [, p] = segments(genuine);
    const h = b64(JSON.stringify({ ...codeHeader(zjKey), alg }));
    expect(await reasonsAt(verifier, `HCX2:${h}.${p}.${b64(Buffer.alloc(32, 7))}`)).toEqual([
      'UNSUPPORTED_ALG',
    ]);
  });

  it.each(['pem', 'jwk', 'raw'])(
    'is rejected when HS256-signed with the public key (%s) as the HMAC secret',
    async (form) => {
      const pub = createPublicKey({ key: zjKey.publicJwk as never, format: 'jwk' });
      const secret =
        form === 'pem'
          ? pub.export({ type: 'spki', format: 'pem' })
          : form === 'jwk'
            ? JSON.stringify(zjKey.publicJwk)
            : Buffer.concat([
                Buffer.from(zjKey.publicJwk.x, 'base64url'),
                Buffer.from(zjKey.publicJwk.y as string, 'base64url'),
              ]);
      const h = b64(JSON.stringify({ ...codeHeader(zjKey), alg: 'HS256' }));
      const p = b64(JSON.stringify(claims));
      const mac = createHmac('sha256', secret).update(`${h}.${p}`).digest();
      expect(await reasonsAt(verifier, `HCX2:${h}.${p}.${b64(mac)}`)).toEqual(['UNSUPPORTED_ALG']);
    },
  );

  it("is rejected as UNSUPPORTED_ALG when it names an algorithm other than its key's own", async () => {
    expect(await reasonsAt(verifier, await forgeWith({ ...codeHeader(zjKey), alg: 'EdDSA' }))).toEqual([
      'UNSUPPORTED_ALG',
    ]);
  });

  it.each([
    ['jwk', () => zjKey.publicJwk],
    ['jku', () => 'https://attacker.example/jwks.json'],
    ['x5u', () => 'https://attacker.example/cert.pem'],
    ['x5c', () => ['MIIBszCCAVmgAwIBAgIUQ']],
    ['crit', () => ['exp']],
    ['b64', () => false],
  ])('is rejected as FORBIDDEN_HEADER when its header carries %s', async (name, value) => {
    expect(await reasonsAt(verifier, await forgeWith({ ...codeHeader(zjKey), [name]: value() }))).toEqual([
      'FORBIDDEN_HEADER',
    ]);
  });

  it('is rejected when it brings its own key in a jwk header, even signed by that key: header keys are never trusted', async () => {
    const mallory = await LocalKeySigner.fromPrivateJwk((await generateSigningKey()).privateJwk);
    const code = await forge(mallory, { ...codeHeader(mallory), jwk: mallory.publicJwk }, claims);
    expect(await reasonsAt(verifier, code)).toEqual(['FORBIDDEN_HEADER']);
    // and without the header the key is simply unknown: the registry is the only source of keys
    expect(await reasonsAt(verifier, await forge(mallory, codeHeader(mallory), claims))).toEqual([
      'UNKNOWN_KEY',
    ]);
  });

  it.each([
    ['a path', '../../../../etc/passwd'],
    ['SQL', "' OR '1'='1' -- aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    ['a URL', 'https://attacker.example/k'],
    ['1 KB long', 'A'.repeat(1024)],
    ['a number', 7],
    ['an object', { $ne: null }],
    ['a thumbprint with one character too many', `${'A'.repeat(43)}A`],
  ])('is rejected as MALFORMED when its kid is %s', async (_what, kid) => {
    expect(await reasonsAt(verifier, await forgeWith({ ...codeHeader(zjKey), kid }))).toEqual(['MALFORMED']);
  });

  it('is refused by the body cap when its kid is 10 KB (413 REQUEST_TOO_LARGE, nothing parsed)', async () => {
    const code = await forgeWith({ ...codeHeader(zjKey), kid: 'A'.repeat(10_240) });
    const res = await post(`${verifier}/v1/codes/verify`, JSON.stringify({ code }));
    expectProblem(res, 413, 'REQUEST_TOO_LARGE', ['AAAAAAAAAA']);
  });

  it("is rejected as KEY_NOT_FOR_ISSUER when signed with Guangdong's key but naming Zhejiang as issuer", async () => {
    const code = await forge(s.issuer[s.gd.region], codeHeader(s.issuer[s.gd.region]), claims);
    expect(claimsOf(code).iss).toBe(s.zj.region);
    expect(await reasonsAt(s.fj.url, code)).toEqual(['KEY_NOT_FOR_ISSUER']);
  });

  it.each([
    'hcx-trust-list+jws',
    'hcx-trust-list-delta+jws',
    'hcx-request+jws',
    'JWT',
    'HCX-CODE+JWS',
    undefined,
  ])('is rejected as MALFORMED when its typ is %j', async (typ) => {
    expect(await reasonsAt(verifier, await forgeWith({ ...codeHeader(zjKey), typ }))).toEqual(['MALFORMED']);
  });

  it('is rejected as MALFORMED when it is a genuine signed request of a province', async () => {
    const jws = await signedRequest(s.enrollment[s.zj.region], s.fed.state.federationId, s.zj.region, {
      op: 'code.revoke',
      codes: [{ jti: claims.jti, exp: claims.exp }],
    });
    expect(await reasonsAt(verifier, `HCX2:${jws}`)).toEqual(['MALFORMED']);
  });

  it('is rejected as MALFORMED when it is a genuine trust-list delta signed by the federation', async () => {
    const version = (await request(`${s.fed.state.exchangeUrl}/v1/log?limit=1000`)).json.entries as unknown[];
    const delta = await request(`${s.fed.state.exchangeUrl}/v1/trust-list?since=${version.length}`);
    expect(delta.status).toBe(200);
    expect(await reasonsAt(verifier, `HCX2:${delta.text}`)).toEqual(['MALFORMED']);
  });

  it('is refused with 401 when a genuine code is presented to the exchange as a signed request', async () => {
    const res = await postSigned(
      s.fed.state.exchangeUrl,
      `/v1/provinces/${s.zj.region}/code-revocations`,
      genuine.slice(5),
    );
    expectProblem(res, 401, 'UNAUTHORIZED');
  });

  it('is rejected as MALFORMED when its payload repeats a member (iss Guangdong, then iss Zhejiang)', async () => {
    const text = JSON.stringify(claims).replace('{', `{"iss":"${s.gd.region}",`);
    expect(await reasonsAt(verifier, await forgeWith(codeHeader(zjKey), text))).toEqual(['MALFORMED']);
  });

  it('is rejected as MALFORMED when its header repeats a member', async () => {
    const text = JSON.stringify(codeHeader(zjKey)).replace('{', '{"alg":"none",');
    expect(await reasonsAt(verifier, await forgeWith(text))).toEqual(['MALFORMED']);
  });

  it.each([
    ['= padding on the payload', (h: string, p: string, sig: string) => `${h}.${p}==.${sig}`],
    ['= padding on the signature', (h: string, p: string, sig: string) => `${h}.${p}.${sig}=`],
    [
      'a space inside a segment',
      (h: string, p: string, sig: string) => `${h}.${p.slice(0, 5)} ${p.slice(5)}.${sig}`,
    ],
    ['a newline inside a segment', (h: string, p: string, sig: string) => `${h}\n.${p}.${sig}`],
    ['a trailing newline', (h: string, p: string, sig: string) => `${h}.${p}.${sig}\n`],
    [
      'standard base64 characters',
      (h: string, p: string, sig: string) => `${h}.${p}.${sig.replace(/-/g, '+').replace(/_/g, '/')}+`,
    ],
    [
      'non-zero unused bits in the last signature character',
      (h: string, p: string, sig: string) =>
        `${h}.${p}.${sig.slice(0, -1)}${String.fromCharCode(sig.charCodeAt(sig.length - 1) + 1)}`,
    ],
  ])('is rejected as MALFORMED when a segment has %s (one code, one string)', async (_what, mutate) => {
    const mutated = mutate(...segments(genuine));
    expect(mutated).not.toBe(genuine.slice(5));
    expect(await reasonsAt(verifier, `HCX2:${mutated}`)).toEqual(['MALFORMED']);
  });

  it.each([
    ['has no HCX2: prefix', () => genuine.slice(5)],
    ['has two segments', () => `HCX2:${segments(genuine).slice(0, 2).join('.')}`],
    ['has four segments', () => `HCX2:${genuine.slice(5)}.${segments(genuine)[2]}`],
    ['has an empty payload', () => `HCX2:${segments(genuine)[0]}..${segments(genuine)[2]}`],
    ['has an empty signature', () => `HCX2:${segments(genuine).slice(0, 2).join('.')}.`],
    [
      'is in JSON serialization',
      () =>
        `HCX2:${JSON.stringify({ protected: segments(genuine)[0], payload: segments(genuine)[1], signature: segments(genuine)[2] })}`,
    ],
    ['has a non-object header', () => `HCX2:${b64('[1]')}.${segments(genuine)[1]}.${segments(genuine)[2]}`],
    [
      'has invalid UTF-8 in its header',
      () => `HCX2:${b64(Buffer.from([0x7b, 0xff, 0x7d]))}.${segments(genuine)[1]}.${segments(genuine)[2]}`,
    ],
  ])('is rejected as MALFORMED when it %s', async (_what, make) => {
    expect(await reasonsAt(verifier, make())).toEqual(['MALFORMED']);
  });

  it.each([
    ['a JSON string', '"just a string"'],
    ['a JSON array', JSON.stringify([claims])],
    ['invalid UTF-8', Buffer.from('{"hn":"\xff"}', 'latin1')],
    ['a lone surrogate', '{"hn":"\\udc00"}'],
  ])('is rejected as MALFORMED when its signed payload is %s', async (_what, payload) => {
    expect(await reasonsAt(verifier, await forgeWith(codeHeader(zjKey), payload))).toEqual(['MALFORMED']);
  });

  it.each([
    ['has no exp', () => ({ ...claims, exp: undefined })],
    ['expires in 2286', () => ({ ...claims, exp: 9_999_999_999 })],
    [
      'lives one second longer than the maximum',
      () => ({ ...claims, exp: (claims.iat as number) + LIMITS.maxCodeLifetime + 1 }),
    ],
    ['expires before it was issued', () => ({ ...claims, exp: (claims.iat as number) - 1 })],
    ['carries an extra claim', () => ({ ...claims, admin: true })],
  ])('is rejected as CLAIMS_INVALID when, genuinely signed, it %s', async (_what, make) => {
    expect(await reasonsAt(verifier, await forgeWith(codeHeader(zjKey), make()))).toEqual(['CLAIMS_INVALID']);
  });

  it('of a megabyte is refused by the HTTP body cap before parsing (413 REQUEST_TOO_LARGE)', async () => {
    const code = `HCX2:${'A'.repeat(1_000_000)}.e30.AAAA`;
    expectProblem(
      await post(`${verifier}/v1/codes/verify`, JSON.stringify({ code })),
      413,
      'REQUEST_TOO_LARGE',
    );
  });

  it('over the 2 KB code cap but inside the body cap is refused by size before any decoding (400)', async () => {
    const code = `HCX2:${segments(genuine)[0]}.${'A'.repeat(2100)}.${segments(genuine)[2]}`;
    expectProblem(
      await post(`${verifier}/v1/codes/verify`, JSON.stringify({ code })),
      400,
      'REQUEST_INVALID',
    );
  });

  it.each([
    ['r = s = 0', () => Buffer.alloc(64)],
    ['r = n', (sig: Buffer) => Buffer.concat([int32(P256_N), sig.subarray(32)])],
    ['s = n', (sig: Buffer) => Buffer.concat([sig.subarray(0, 32), int32(P256_N)])],
    ['s > n', (sig: Buffer) => Buffer.concat([sig.subarray(0, 32), Buffer.alloc(32, 0xff)])],
    [
      'a DER encoding',
      (sig: Buffer) =>
        Buffer.concat([
          Buffer.from([0x30, 0x46, 0x02, 0x21, 0x00]),
          sig.subarray(0, 32),
          Buffer.from([0x02, 0x21, 0x00]),
          sig.subarray(32),
        ]),
    ],
  ])('is rejected as SIGNATURE_INVALID when its ECDSA signature is %s', async (_what, mutate) => {
    const [h, p, sig] = segments(genuine);
    expect(await reasonsAt(verifier, `HCX2:${h}.${p}.${b64(mutate(Buffer.from(sig, 'base64url')))}`)).toEqual(
      ['SIGNATURE_INVALID'],
    );
  });

  it('is rejected as SIGNATURE_INVALID when it carries a signature by another P-256 key', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [h, p] = segments(genuine);
    const { sign } = await import('node:crypto');
    const sig = sign('sha256', Buffer.from(`${h}.${p}`), {
      key: other.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    expect(await reasonsAt(verifier, `HCX2:${h}.${p}.${b64(sig)}`)).toEqual(['SIGNATURE_INVALID']);
  });

  it('is revoked together with its malleated (r, n-s) twin: codes are identified by jti, never by their bytes', async () => {
    const issued = await issue(s.zj);
    const [h, p, sig] = segments(issued.code);
    const raw = Buffer.from(sig, 'base64url');
    const highS = int32(P256_N - BigInt(`0x${raw.subarray(32).toString('hex')}`));
    const twin = `HCX2:${h}.${p}.${b64(Buffer.concat([raw.subarray(0, 32), highS]))}`;
    expect((await verifyAt(verifier, twin)).codeId).toBe(issued.codeId);

    const revoke = await request(`${s.zj.url}/v1/codes/${issued.codeId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.zj.internalToken}` },
    });
    expect(revoke.status).toBe(200);
    await s.fed.runScheduled();

    expect(await reasonsAt(verifier, twin)).toEqual(['CODE_REVOKED']);
    expect(await reasonsAt(verifier, issued.code)).toEqual(['CODE_REVOKED']);
  });
});

describe('the validity window of a code, with a stated clock skew of 5 minutes', () => {
  const at = (over: Record<string, unknown>) => forgeWith(codeHeader(zjKey), { ...claims, ...over });

  it('rejects a code whose iat is more than the skew in the future as NOT_YET_VALID', async () => {
    expect(
      await reasonsAt(verifier, await at({ iat: now() + LIMITS.clockSkew + 60, exp: now() + 3600 })),
    ).toEqual(['NOT_YET_VALID']);
  });

  it('rejects a code whose nbf is more than the skew in the future as NOT_YET_VALID', async () => {
    expect(await reasonsAt(verifier, await at({ nbf: now() + LIMITS.clockSkew + 60 }))).toEqual([
      'NOT_YET_VALID',
    ]);
  });

  it('accepts a code issued by a clock up to the skew ahead of the verifier', async () => {
    expect(
      await reasonsAt(verifier, await at({ iat: now() + LIMITS.clockSkew - 60, exp: now() + 3600 })),
    ).toEqual([]);
  });

  it('rejects an expired code as EXPIRED at a checkpoint whose clock has passed its expiry, and only past the skew', async () => {
    const issued = await issue(s.zj, { validitySeconds: 3600 });
    const checkpoint = await startVerifierNode(s.fed);
    try {
      expect((await checkpoint.sync()).result).toBe('updated');
      checkpoint.offset = 3600 + LIMITS.clockSkew - 60;
      expect(await reasonsAt(checkpoint.url, issued.code)).toEqual([]);
      checkpoint.offset = 3600 + LIMITS.clockSkew + 60;
      expect(await reasonsAt(checkpoint.url, issued.code)).toEqual(['EXPIRED']);
    } finally {
      await checkpoint.close();
    }
  });
});

describe('codes of a revoked key, over the whole federation', () => {
  it('rejects as KEY_REVOKED the codes a superseded key signed after its revocation, and keeps those signed before', async () => {
    const region = s.fj.region;
    const key = await generateSigningKey();
    const signer = await LocalKeySigner.fromPrivateJwk(key.privateJwk);
    const t = now();
    const publish = await signedRequest(s.enrollment[region], s.fed.state.federationId, region, {
      op: 'key.publish',
      key: key.publicJwk,
      alg: 'ES256',
      notBefore: t - 250,
      notAfter: t + 86_400,
    });
    expect((await postSigned(s.fed.state.exchangeUrl, `/v1/provinces/${region}/keys`, publish)).status).toBe(
      201,
    );
    const base = { ...claims, iss: region };
    const before = await forge(signer, codeHeader(signer), { ...base, iat: t - 200, exp: t + 3600 });
    const after = await forge(signer, codeHeader(signer), { ...base, iat: t - 50, exp: t + 3600 });
    const revoke = await signedRequest(s.enrollment[region], s.fed.state.federationId, region, {
      op: 'key.revoke',
      kid: key.kid,
      reason: 'superseded',
      revokedAt: t - 100,
    });
    expect(
      (await postSigned(s.fed.state.exchangeUrl, `/v1/provinces/${region}/keys/${key.kid}/revoke`, revoke))
        .status,
    ).toBe(200);
    await s.fed.runScheduled();

    expect(await reasonsAt(verifier, before)).toEqual([]);
    expect(await reasonsAt(verifier, after)).toEqual(['KEY_REVOKED']);
  });

  it('rejects as KEY_REVOKED every code of a compromised key, including those signed before its revocation', async () => {
    const region = s.fj.region;
    const key = await generateSigningKey();
    const signer = await LocalKeySigner.fromPrivateJwk(key.privateJwk);
    const t = now();
    const publish = await signedRequest(s.enrollment[region], s.fed.state.federationId, region, {
      op: 'key.publish',
      key: key.publicJwk,
      alg: 'ES256',
      notBefore: t - 250,
      notAfter: t + 86_400,
    });
    expect((await postSigned(s.fed.state.exchangeUrl, `/v1/provinces/${region}/keys`, publish)).status).toBe(
      201,
    );
    const early = await forge(signer, codeHeader(signer), {
      ...claims,
      iss: region,
      iat: t - 200,
      exp: t + 3600,
    });
    await s.fed.runScheduled();
    expect(await reasonsAt(verifier, early)).toEqual([]);

    const revoke = await signedRequest(s.enrollment[region], s.fed.state.federationId, region, {
      op: 'key.revoke',
      kid: key.kid,
      reason: 'compromised',
      revokedAt: t,
    });
    expect(
      (await postSigned(s.fed.state.exchangeUrl, `/v1/provinces/${region}/keys/${key.kid}/revoke`, revoke))
        .status,
    ).toBe(200);
    await s.fed.runScheduled();

    expect(await reasonsAt(verifier, early)).toEqual(['KEY_REVOKED']);
  });

  it('rejects as KEY_NOT_VALID_AT_ISSUANCE a code dated before its key became valid', async () => {
    const region = s.fj.region;
    const key = await generateSigningKey();
    const signer = await LocalKeySigner.fromPrivateJwk(key.privateJwk);
    const t = now();
    const publish = await signedRequest(s.enrollment[region], s.fed.state.federationId, region, {
      op: 'key.publish',
      key: key.publicJwk,
      alg: 'ES256',
      notBefore: t,
      notAfter: t + 86_400,
    });
    expect((await postSigned(s.fed.state.exchangeUrl, `/v1/provinces/${region}/keys`, publish)).status).toBe(
      201,
    );
    await s.fed.runScheduled();
    const backdated = await forge(signer, codeHeader(signer), {
      ...claims,
      iss: region,
      iat: t - 100,
      exp: t + 3600,
    });
    expect(await reasonsAt(verifier, backdated)).toEqual(['KEY_NOT_VALID_AT_ISSUANCE']);
  });
});
