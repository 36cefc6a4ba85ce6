/**
 * SECURITY.md "Codes and every other JWS the system reads", end to end: every forged or malformed
 * code is sent to a province node's POST /v1/codes/verify over real HTTP and must come back with
 * the row's reason code. The shared table (test/kit/attacks.ts, also driven at the core by
 * test/core/jws-attacks.test.ts) comes first, then the rows only HTTP can show. Forgeries are signed with the federation's real issuer keys, so the one
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
import { codeAttackRows, type AttackTarget } from '../kit/attacks';

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

  it.each(codeAttackRows())('is rejected when it has %s, as %s', async (_name, reason, attack) => {
    const target: AttackTarget = { genuine, claims, signer: zjKey };
    expect(await reasonsAt(verifier, await attack.make(target))).toEqual([reason]);
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

  it('is rejected when it brings its own key in a jwk header, even signed by that key: header keys are never trusted', async () => {
    const mallory = await LocalKeySigner.fromPrivateJwk((await generateSigningKey()).privateJwk);
    const code = await forge(mallory, { ...codeHeader(mallory), jwk: mallory.publicJwk }, claims);
    expect(await reasonsAt(verifier, code)).toEqual(['FORBIDDEN_HEADER']);
    // and without the header the key is simply unknown: the registry is the only source of keys
    expect(await reasonsAt(verifier, await forge(mallory, codeHeader(mallory), claims))).toEqual([
      'UNKNOWN_KEY',
    ]);
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
