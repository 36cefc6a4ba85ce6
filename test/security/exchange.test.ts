/**
 * SECURITY.md "Key intake" and "Signed requests to the exchange", end to end: signed requests sent
 * over real HTTP to the running exchange, each refusal asserted by status and problem `code` (and,
 * for key intake, the reason the authenticated province is told). Authentication failures must
 * all look the same.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createExchangeDeps } from '../../functions/exchange/deps';
import { suspendProvince } from '../../functions/exchange/service';
import { generateSigningKey, type GeneratedKey } from '../../functions/core/keys';
import { LocalKeySigner } from '../../functions/core/signer';
import { captureLogs } from '../kit';
import { LIMITS } from '../../functions/core/profiles';
import type { Signer } from '../../functions/core/signer';
import type { TrustList } from '../../functions/core/schemas/types.gen';
import { segmentContent, segmentPatch, sha256 } from '../../functions/core/status/batch';
import { SegmentSet, encodeSegment } from '../../functions/core/status/segment';
import {
  expectProblem,
  issue,
  nonce,
  now,
  postSigned,
  reasonsAt,
  request,
  signedRequest,
  startSecurityFederation,
  type Answer,
  type SecurityFederation,
} from './helpers';

let s: SecurityFederation;
let ZJ: string;
let GD: string;
let exchange: string;
let fedId: string;

beforeAll(async () => {
  s = await startSecurityFederation();
  [ZJ, GD] = [s.zj.region, s.gd.region];
  exchange = s.fed.state.exchangeUrl;
  fedId = s.fed.state.federationId;
}, 60_000);
afterAll(() => s?.fed.close());

const keysPath = (region: string) => `/v1/provinces/${region}/keys`;
const revokePath = (region: string, kid: string) => `/v1/provinces/${region}/keys/${kid}/revoke`;
const codesPath = (region: string) => `/v1/provinces/${region}/code-revocations`;

const publishOp = (key: object, over: Record<string, unknown> = {}) => {
  const t = now();
  return { op: 'key.publish', key, alg: 'ES256', notBefore: t, notAfter: t + 30 * 86_400, ...over };
};
const codeOp = () => ({ op: 'code.revoke', codes: [{ jti: nonce(), exp: now() + 3600 }] });

/** Sign as `region` (with its own enrollment key unless `signer` says otherwise). */
const signAs = (region: string, payload: Record<string, unknown>, signer?: Signer) =>
  signedRequest(signer ?? s.enrollment[region], fedId, region, payload);

describe('key intake over POST /v1/provinces/{region}/keys', () => {
  const expectKeyRejected = (res: Answer, reason: string) => {
    expectProblem(res, 400, 'KEY_REJECTED');
    expect(String(res.json.detail).split(':')[0]).toBe(reason);
  };
  const publish = async (key: unknown, over: Record<string, unknown> = {}) =>
    postSigned(exchange, keysPath(ZJ), await signAs(ZJ, publishOp(key as object, over)));

  let fresh: GeneratedKey;
  beforeEach(async () => {
    fresh = await generateSigningKey();
  });

  it('accepts a fresh P-256 key and a fresh Ed25519 key (the baseline)', async () => {
    expect((await publish(fresh.publicJwk)).status).toBe(201);
    const ed = await generateSigningKey('EdDSA');
    expect((await publish(ed.publicJwk, { alg: 'EdDSA' })).status).toBe(201);
  });

  it.each([
    [
      'an RSA key',
      'UNSUPPORTED_KEY_TYPE',
      () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }),
      {},
    ],
    ['an oct key', 'PRIVATE_MEMBER', () => ({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ' }), {}],
    ['a private key (d member)', 'PRIVATE_MEMBER', (k: GeneratedKey) => k.privateJwk, {}],
    [
      'a P-384 key (wrong curve)',
      'UNSUPPORTED_KEY_TYPE',
      () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }),
      {},
    ],
    [
      'a secp256k1 key (wrong curve)',
      'UNSUPPORTED_KEY_TYPE',
      () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' }),
      {},
    ],
    [
      'a point not on the curve',
      'NOT_ON_CURVE',
      (k: GeneratedKey) => {
        const y = Buffer.from(k.publicJwk.y as string, 'base64url');
        y[31] ^= 1;
        return { ...k.publicJwk, y: y.toString('base64url') };
      },
      {},
    ],
    [
      'a small-order Ed25519 key (the identity point)',
      'SMALL_ORDER',
      () => ({
        kty: 'OKP',
        crv: 'Ed25519',
        x: Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]).toString('base64url'),
      }),
      { alg: 'EdDSA' },
    ],
    [
      'a small-order Ed25519 key (all zero)',
      'SMALL_ORDER',
      () => ({ kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32).toString('base64url') }),
      { alg: 'EdDSA' },
    ],
    [
      'a non-canonical Ed25519 key (y = p)',
      'NON_CANONICAL',
      () => ({
        kty: 'OKP',
        crv: 'Ed25519',
        x: Buffer.from('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex').toString(
          'base64url',
        ),
      }),
      { alg: 'EdDSA' },
    ],
    ['use "enc"', 'WRONG_USE', (k: GeneratedKey) => ({ ...k.publicJwk, use: 'enc' }), {}],
    ['key_ops ["sign"]', 'WRONG_USE', (k: GeneratedKey) => ({ ...k.publicJwk, key_ops: ['sign'] }), {}],
    [
      'an alg member naming another algorithm',
      'ALG_MISMATCH',
      (k: GeneratedKey) => ({ ...k.publicJwk, alg: 'EdDSA' }),
      {},
    ],
    [
      'a request alg other than the key’s',
      'ALG_MISMATCH',
      (k: GeneratedKey) => k.publicJwk,
      { alg: 'EdDSA' },
    ],
    [
      'a kid that is not its thumbprint',
      'KID_MISMATCH',
      (k: GeneratedKey) => ({ ...k.publicJwk, kid: 'my-key-1' }),
      {},
    ],
    [
      'an x5u member',
      'UNEXPECTED_MEMBER',
      (k: GeneratedKey) => ({ ...k.publicJwk, x5u: 'https://attacker.example/c' }),
      {},
    ],
  ] as const)('refuses %s with 400 KEY_REJECTED, reason %s', async (_what, reason, make, over) => {
    expectKeyRejected(await publish(make(fresh), over), reason);
  });

  it.each([
    [
      'a lifetime above the federation maximum',
      'LIFETIME_TOO_LONG',
      () => ({ notAfter: now() + LIMITS.maxKeyLifetime + 60 }),
    ],
    ['notAfter before notBefore', 'BAD_VALIDITY', () => ({ notAfter: now() - 1 })],
    ['a notBefore in the past', 'NOT_BEFORE_IN_PAST', () => ({ notBefore: now() - LIMITS.clockSkew - 60 })],
  ])('refuses %s with 400 KEY_REJECTED, reason %s', async (_what, reason, over) => {
    expectKeyRejected(await publish(fresh.publicJwk, over()), reason);
  });

  it('refuses a key already published by this province with 409 KEY_ALREADY_KNOWN', async () => {
    expect((await publish(fresh.publicJwk)).status).toBe(201);
    expectProblem(await publish(fresh.publicJwk), 409, 'KEY_ALREADY_KNOWN');
  });

  it("refuses another province's signing key with 409 KEY_ALREADY_KNOWN", async () => {
    expectProblem(await publish(s.issuer[GD].publicJwk), 409, 'KEY_ALREADY_KNOWN');
  });

  it("refuses another province's enrollment key offered as a signing key with 409 KEY_ALREADY_KNOWN", async () => {
    expectProblem(await publish(s.enrollment[GD].publicJwk), 409, 'KEY_ALREADY_KNOWN');
  });

  it('answers an unauthentic publication 401 before looking at its key: it learns nothing about intake', async () => {
    const mallory = await generateSigningKey();
    const { LocalKeySigner } = await import('../../functions/core/signer');
    const jws = await signAs(
      ZJ,
      publishOp(fresh.privateJwk),
      await LocalKeySigner.fromPrivateJwk(mallory.privateJwk),
    );
    expectProblem(await postSigned(exchange, keysPath(ZJ), jws), 401, 'UNAUTHORIZED');
  });
});

describe('signed requests to the exchange', () => {
  const refusals: [string, () => Promise<Answer>][] = [
    ['that is not a JWS', () => postSigned(exchange, codesPath(ZJ), 'not-a-jws')],
    [
      'signed by a key that is not the enrollment key',
      async () => postSigned(exchange, codesPath(ZJ), await signAs(ZJ, codeOp(), s.issuer[ZJ])),
    ],
    [
      "signed by another province's enrollment key",
      async () => postSigned(exchange, codesPath(ZJ), await signAs(ZJ, codeOp(), s.enrollment[GD])),
    ],
    [
      'for an unregistered region',
      async () =>
        postSigned(exchange, codesPath('110000'), await signAs('110000', codeOp(), s.enrollment[ZJ])),
    ],
    [
      'with another audience',
      async () =>
        postSigned(exchange, codesPath(ZJ), await signAs(ZJ, { ...codeOp(), aud: 'other-federation' })),
    ],
    [
      'with a stale iat',
      async () =>
        postSigned(
          exchange,
          codesPath(ZJ),
          await signAs(ZJ, { ...codeOp(), iat: now() - LIMITS.clockSkew - 60 }),
        ),
    ],
    [
      'with a future iat',
      async () =>
        postSigned(
          exchange,
          codesPath(ZJ),
          await signAs(ZJ, { ...codeOp(), iat: now() + LIMITS.clockSkew + 60 }),
        ),
    ],
    [
      'with a payload region other than the path region',
      async () => postSigned(exchange, codesPath(ZJ), await signAs(GD, codeOp(), s.enrollment[ZJ])),
    ],
    [
      'sent to another region’s path by its signer',
      async () => postSigned(exchange, codesPath(GD), await signAs(ZJ, codeOp())),
    ],
    [
      'whose path and payload name a region its signer does not hold',
      async () => postSigned(exchange, codesPath(GD), await signAs(GD, codeOp(), s.enrollment[ZJ])),
    ],
    [
      'with the operation of another route',
      async () => postSigned(exchange, codesPath(ZJ), await signAs(ZJ, publishOp({}))),
    ],
    [
      'with a nonce that is not one',
      async () => postSigned(exchange, codesPath(ZJ), await signAs(ZJ, { ...codeOp(), jti: 'short' })),
    ],
    [
      'with alg none',
      async () => {
        const jws = await signAs(ZJ, codeOp());
        const [, p] = jws.split('.');
        const h = Buffer.from(
          JSON.stringify({ alg: 'none', kid: s.enrollment[ZJ].kid, typ: 'hcx-request+jws' }),
        ).toString('base64url');
        return postSigned(exchange, codesPath(ZJ), `${h}.${p}.`);
      },
    ],
    [
      'with a tampered payload',
      async () => {
        const [h, , sig] = (await signAs(ZJ, codeOp())).split('.');
        return postSigned(
          exchange,
          codesPath(ZJ),
          `${h}.${Buffer.from(JSON.stringify({ ...codeOp(), aud: fedId, iat: now(), jti: nonce(), region: ZJ })).toString('base64url')}.${sig}`,
        );
      },
    ],
  ];

  it.each(refusals)('refuses a request %s with the one identical 401', async (_name, send) => {
    const res = await send();
    expectProblem(res, 401, 'UNAUTHORIZED');
    expect(res.json).toEqual({
      type: 'https://hcx.example/problems/unauthorized',
      title: 'Authentication failed',
      status: 401,
      code: 'UNAUTHORIZED',
    });
  });

  it('makes every authentication failure byte-identical apart from the request id', async () => {
    const answers = await Promise.all(refusals.map(([, send]) => send()));
    const shapes = new Set(
      answers.map((a) =>
        JSON.stringify([
          a.status,
          a.text,
          [...a.headers.entries()].filter(([k]) => !['apigw-requestid', 'date'].includes(k)),
        ]),
      ),
    );
    expect(shapes.size).toBe(1);
  });

  it('accepts a request whose iat is within the clock skew', async () => {
    const res = await postSigned(
      exchange,
      codesPath(ZJ),
      await signAs(ZJ, { ...codeOp(), iat: now() - LIMITS.clockSkew + 30 }),
    );
    expect(res.status).toBe(200);
  });

  it('refuses the same signed request sent twice to the same route', async () => {
    const jws = await signAs(ZJ, codeOp());
    expect((await postSigned(exchange, codesPath(ZJ), jws)).status).toBe(200);
    expectProblem(await postSigned(exchange, codesPath(ZJ), jws), 401, 'UNAUTHORIZED');
  });

  it('refuses the same signed request replayed in parallel: exactly one of ten succeeds', async () => {
    const jws = await signAs(ZJ, codeOp());
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => postSigned(exchange, codesPath(ZJ), jws)),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(9).fill(401)]);
  });

  it('does not let publish, revoke and the replayed publish all succeed (the EU gateway story)', async () => {
    const key = await generateSigningKey();
    const upload = await signAs(ZJ, publishOp(key.publicJwk));
    expect((await postSigned(exchange, keysPath(ZJ), upload)).status).toBe(201);
    // the same upload replayed to the other signed routes
    expectProblem(await postSigned(exchange, revokePath(ZJ, key.kid), upload), 401, 'UNAUTHORIZED');
    expectProblem(await postSigned(exchange, codesPath(ZJ), upload), 401, 'UNAUTHORIZED');
    const revoke = await signAs(ZJ, { op: 'key.revoke', kid: key.kid, reason: 'retired', revokedAt: now() });
    expect((await postSigned(exchange, revokePath(ZJ, key.kid), revoke)).status).toBe(200);

    expectProblem(await postSigned(exchange, keysPath(ZJ), upload), 401, 'UNAUTHORIZED');
    // nor may a freshly signed request bring the revoked key back
    expectProblem(
      await postSigned(exchange, keysPath(ZJ), await signAs(ZJ, publishOp(key.publicJwk))),
      409,
      'KEY_ALREADY_KNOWN',
    );
    const jwks = (await request(`${exchange}/v1/provinces/${ZJ}/jwks.json`)).json.keys as { kid: string }[];
    expect(jwks.map((k) => k.kid)).not.toContain(key.kid);
  });

  it("cannot revoke another province's key: 404, and its codes keep verifying", async () => {
    const issued = await issue(s.gd);
    const gdKid = s.issuer[GD].kid;
    const res = await postSigned(
      exchange,
      revokePath(ZJ, gdKid),
      await signAs(ZJ, { op: 'key.revoke', kid: gdKid, reason: 'compromised', revokedAt: now() }),
    );
    expectProblem(res, 404, 'NOT_FOUND');
    await s.fed.runScheduled();
    expect(await reasonsAt(s.zj.url, issued.code)).toEqual([]);
  });

  it('refuses a revocation whose signed kid is not the path kid with 400', async () => {
    const res = await postSigned(
      exchange,
      revokePath(ZJ, s.issuer[ZJ].kid),
      await signAs(ZJ, { op: 'key.revoke', kid: s.issuer[GD].kid, reason: 'compromised', revokedAt: now() }),
    );
    expectProblem(res, 400, 'REQUEST_INVALID');
  });

  // Last: suspension is permanent for the rest of this federation.
  it('refuses every request signed by a suspended province, and its codes verify as ISSUER_SUSPENDED', async () => {
    const FJ = s.fj.region;
    const issued = await issue(s.fj);
    const signedBefore = await signAs(FJ, codeOp());
    const deps = createExchangeDeps({
      client: s.fed.context.client,
      tableName: s.fed.context.exchange.tableName,
      signer: s.federationSigner,
      federationId: fedId,
    });
    await suspendProvince(deps, FJ);

    expectProblem(await postSigned(exchange, codesPath(FJ), signedBefore), 401, 'UNAUTHORIZED');
    expectProblem(await postSigned(exchange, codesPath(FJ), await signAs(FJ, codeOp())), 401, 'UNAUTHORIZED');
    const key = await generateSigningKey();
    expectProblem(
      await postSigned(exchange, keysPath(FJ), await signAs(FJ, publishOp(key.publicJwk))),
      401,
      'UNAUTHORIZED',
    );
    // The suspension was published by an exchange instance without the static site: the scheduled
    // publisher mirrors the stored deltas to it, and the nodes (which run beside it) take them next.
    await s.fed.runScheduled();
    await s.fed.runScheduled();
    expect(await reasonsAt(s.gd.url, issued.code)).toEqual(['ISSUER_SUSPENDED']);
  });

  // After the suspension above: the operator recovers FJ from a leaked enrollment key.
  it('re-enrolls a suspended province under a new key and resumes it: the old key signs nothing (KID_MISMATCH)', async () => {
    const FJ = s.fj.region;
    const issued = await issue(s.fj);
    const operator = (path: string, body?: object) =>
      request(`${exchange}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.fed.state.operatorToken}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const fresh = await generateSigningKey();
    const freshSigner = await LocalKeySigner.fromPrivateJwk(fresh.privateJwk);
    /** Refusal of a request signed by `signer`, with the reason the exchange logged. */
    const refusal = async (signer: Signer) => {
      const logs = captureLogs();
      const res = await postSigned(exchange, codesPath(FJ), await signAs(FJ, codeOp(), signer)).finally(() =>
        logs.stop(),
      );
      return [
        res.status,
        res.json?.code,
        logs.records().find((r) => r.message === 'signed request refused')?.reason,
      ];
    };

    // Re-enrollment: the federation's own key or another province's is refused, a fresh one accepted.
    expectProblem(
      await operator(`/v1/provinces/${FJ}/enrollment-key`, { enrollmentKey: s.enrollment[ZJ].publicJwk }),
      409,
      'KEY_ALREADY_KNOWN',
    );
    const reenrolled = await operator(`/v1/provinces/${FJ}/enrollment-key`, {
      enrollmentKey: fresh.publicJwk,
    });
    expect([reenrolled.status, reenrolled.json.status, reenrolled.json.enrollmentKid]).toEqual([
      200,
      'suspended',
      fresh.kid,
    ]);
    expect(await refusal(s.enrollment[FJ])).toEqual([401, 'UNAUTHORIZED', 'KID_MISMATCH']);

    // Resumption: the new key works, the old one stays refused, the province's codes verify again.
    const resumed = await operator(`/v1/provinces/${FJ}/resume`);
    expect([resumed.status, resumed.json.status]).toEqual([200, 'active']);
    expect((await postSigned(exchange, codesPath(FJ), await signAs(FJ, codeOp(), freshSigner))).status).toBe(
      200,
    );
    expect(await refusal(s.enrollment[FJ])).toEqual([401, 'UNAUTHORIZED', 'KID_MISMATCH']);
    const key = await generateSigningKey();
    expect(
      (await postSigned(exchange, keysPath(FJ), await signAs(FJ, publishOp(key.publicJwk), freshSigner)))
        .status,
    ).toBe(201);
    await s.fed.runScheduled();
    expect(await reasonsAt(s.gd.url, issued.code)).toEqual([]);
  });
});

describe('segment patches over POST /v1/provinces/{region}/status-segments', () => {
  const SEG = 300;
  const statusPath = (region: string) => `/v1/provinces/${region}/status-segments`;
  const segmentSet = (offsets: number[]) => SegmentSet.fromSorted(Uint32Array.from(offsets));
  const publishOf = (segments: unknown[]) => ({ op: 'status.publish', segments });
  /** The row the exchange's current list has for ZJ's segment `segment`. */
  const rowOf = async (segment: number) => {
    const jws = await (await fetch(`${exchange}/v1/trust-list`)).text();
    const list = JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString()) as TrustList;
    return list.statusSegments?.find((r) => r.region === ZJ && r.segment === segment);
  };
  const patchOn = (
    at: { rev: number; digest: string; batch: string },
    content: number[],
    added: number[],
    rev = at.rev + 1,
  ) => segmentPatch(SEG, rev, now() + 3600, segmentSet([...content, ...added]), at, Uint32Array.from(added));
  const logSize = async () =>
    ((await (await fetch(`${exchange}/v1/log?since=0&limit=1000`)).json()) as { entries: unknown[] }).entries
      .length;

  beforeAll(async () => {
    const full = segmentContent(SEG, 1, now() + 3600, segmentSet([1, 2]));
    expect((await postSigned(exchange, statusPath(ZJ), await signAs(ZJ, publishOf([full])))).status).toBe(
      200,
    );
  });

  it('refuses a forged patch: signed by another province (401), or based on a revision never held (409)', async () => {
    const row = (await rowOf(SEG))!;
    const before = await logSize();
    const patch = patchOn(row, [1, 2], [3]);
    const forged = await signAs(ZJ, publishOf([patch]), s.enrollment[GD]);
    expectProblem(await postSigned(exchange, statusPath(ZJ), forged), 401, 'UNAUTHORIZED');
    const invented = patchOn({ ...row, digest: sha256(encodeSegment(segmentSet([1]))) }, [1], [3]);
    expectProblem(
      await postSigned(exchange, statusPath(ZJ), await signAs(ZJ, publishOf([invented]))),
      409,
      'SEGMENT_BASE_STALE',
    );
    // a patch whose digest is not what applying it gives: its content would differ at every node
    const lying = { ...patch, count: 4, digest: sha256(encodeSegment(segmentSet([1, 2, 3, 4]))) };
    expectProblem(
      await postSigned(exchange, statusPath(ZJ), await signAs(ZJ, publishOf([lying]))),
      400,
      'SEGMENT_PATCH_MISMATCH',
    );
    expect(await logSize()).toBe(before);
  });

  it('refuses a replayed patch (401) and takes a re-signed one as done: one entry', async () => {
    const row = (await rowOf(SEG))!;
    expect(row.count).toBe(2);
    const patch = patchOn(row, [1, 2], [5]);
    const jws = await signAs(ZJ, publishOf([patch]));
    const before = await logSize();
    expect((await postSigned(exchange, statusPath(ZJ), jws)).status).toBe(200);
    expectProblem(await postSigned(exchange, statusPath(ZJ), jws), 401, 'UNAUTHORIZED');
    const again = await postSigned(exchange, statusPath(ZJ), await signAs(ZJ, publishOf([patch])));
    expect([again.status, again.json.unchanged]).toEqual([200, 1]);
    expect(await logSize()).toBe(before + 1);
  });

  it('refuses patches out of order: a later one before its base (SEGMENT_BASE_STALE), an earlier one after (SEGMENT_REV_STALE)', async () => {
    const row = (await rowOf(SEG))!;
    const content = [1, 2, 5];
    expect(row.count).toBe(content.length);
    const p1 = patchOn(row, content, [6]);
    const p2 = patchOn(
      { rev: p1.rev, digest: p1.digest, batch: sha256('not yet known') },
      [...content, 6],
      [7],
    );
    const early = await postSigned(exchange, statusPath(ZJ), await signAs(ZJ, publishOf([p2])));
    expectProblem(early, 409, 'SEGMENT_BASE_STALE');
    const first = await postSigned(exchange, statusPath(ZJ), await signAs(ZJ, publishOf([p1])));
    expect(first.status).toBe(200);
    const later = { ...p2, base: { ...p2.base, batch: first.json.batch as string } };
    expect((await postSigned(exchange, statusPath(ZJ), await signAs(ZJ, publishOf([later])))).status).toBe(
      200,
    );
    // the first patch's revision again, other content: stale
    const stale = patchOn(row, content, [8]);
    expectProblem(
      await postSigned(exchange, statusPath(ZJ), await signAs(ZJ, publishOf([stale]))),
      409,
      'SEGMENT_REV_STALE',
    );
    expect((await rowOf(SEG))?.count).toBe(5);
  });
});
