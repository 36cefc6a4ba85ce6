/**
 * Every exchange route through its real handler (middy chain included) over dynalite, the
 * DynamoDB wire protocol in memory: the happy paths, every key-intake and signed-request rejection
 * of SECURITY.md, the trust list with ETag/304 and deltas, the log pages.
 */
import { generateKeyPairSync } from 'node:crypto';
import { LIMITS } from '../../functions/core/profiles';
import type { TrustList } from '../../functions/core/schemas/types.gen';
import {
  applyDelta,
  federationKeys,
  openDelta,
  openTrustList,
} from '../../functions/core/trustlist/trust-list';
import { verifyChain } from '../../functions/core/trustlist/log';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { shortKid } from '../../functions/core/keys';
import { buildSnapshot } from '../../functions/core/registry';
import { ITEM_KEYS } from '../../functions/exchange/dynamo-repository';
import { suspendProvince } from '../../functions/exchange/service';
import { captureLogs, dynaliteTables, type DynaliteTables } from '../kit';
import {
  DAY,
  FEDERATION,
  FJ,
  GD,
  NOW,
  nonce,
  publishOp,
  signed,
  testExchange,
  testKey,
  ZJ,
  type TestKey,
} from './fixtures';

let db: DynaliteTables;
let ex: Awaited<ReturnType<typeof testExchange>>;
let zj: TestKey;
let gd: TestKey;
let fj: TestKey;
const keys = () => federationKeys({ keys: [{ ...ex.fed.publicJwk }] }, FEDERATION);

beforeAll(async () => {
  db = await dynaliteTables();
  ex = await testExchange(db.client, db.tableName);
  [zj, gd, fj] = await Promise.all([testKey(), testKey('EdDSA'), testKey()]);
  expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
  expect((await ex.register(GD, '广东省', gd.publicJwk)).statusCode).toBe(201);
});
afterAll(() => db.close());
afterEach(() => ex.time.set(NOW));

const publishNew = async (region = ZJ, signer = zj.signer) => {
  const key = await testKey();
  const res = await ex.publish(region, await signed(signer, region, publishOp(key)));
  return { key, res };
};

describe('GET /v1/federation', () => {
  it('answers the federation id, its public keys as a JWKS, and its limits', async () => {
    const res = await ex.federation();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      federation: FEDERATION,
      keys: { keys: [{ ...ex.fed.publicJwk, kid: ex.fed.kid, alg: 'ES256', use: 'sig' }] },
      maxKeyLifetimeSeconds: LIMITS.maxKeyLifetime,
      maxCodeLifetimeSeconds: LIMITS.maxCodeLifetime,
    });
  });
});

describe('POST /v1/provinces', () => {
  it('registers a province and lists it', async () => {
    const fresh = await testKey();
    const res = await ex.register('350000', '福建省', fresh.publicJwk);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      region: '350000',
      name: '福建省',
      status: 'active',
      enrollmentKid: fresh.kid,
      registeredAt: new Date(NOW * 1000).toISOString().replace('.000Z', 'Z'),
    });
    fj = fresh;
    const list = (await ex.provinces()).json();
    expect(list.provinces.map((p: { region: string }) => p.region).sort()).toEqual([ZJ, FJ, GD].sort());
  });

  it('refuses a region registered twice with 409 PROVINCE_EXISTS', async () => {
    const res = await ex.register(ZJ, '浙江省', (await testKey()).publicJwk);
    expect([res.statusCode, res.json().code]).toEqual([409, 'PROVINCE_EXISTS']);
  });

  it("refuses another province's enrollment key with 409 KEY_ALREADY_KNOWN", async () => {
    const res = await ex.register('110000', '北京市', zj.publicJwk);
    expect([res.statusCode, res.json().code]).toEqual([409, 'KEY_ALREADY_KNOWN']);
  });

  it('refuses an enrollment key that fails intake', async () => {
    const smallOrder = { kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32).toString('base64url') };
    const res = await ex.register('110000', '北京市', smallOrder);
    expect([res.statusCode, res.json().code]).toEqual([400, 'KEY_REJECTED']);
    expect(res.json().detail).toMatch(/^SMALL_ORDER/);
    const priv = await ex.register('110000', '北京市', { ...zj.publicJwk, d: zj.privateJwk.d });
    expect(priv.statusCode).toBe(400);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const res = await ex.register('110000', 'x', {});
    expect(res.statusCode).toBe(400);
    const wrongType = await ex.handlers.register(
      (await import('../kit')).apiEvent({
        method: 'POST',
        path: '/v1/provinces',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      }),
      (await import('../kit')).lambdaContext(),
    );
    expect(wrongType.statusCode).toBe(415);
  });
});

describe('POST /v1/provinces/{region}/keys', () => {
  it('publishes a key: 201, then in the JWKS, the trust list and the log', async () => {
    const { key, res } = await publishNew();
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ region: ZJ, kid: key.kid, alg: 'ES256', status: 'active' });
    const jwks = await ex.jwks(ZJ);
    expect(jwks.headers['content-type']).toBe('application/jwk-set+json');
    expect(jwks.json().keys).toContainEqual({ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' });
    const list = await openTrustList((await ex.trustList()).body, keys(), { now: NOW });
    expect(list.provinces.find((p) => p.region === ZJ)?.keys.map((k) => k.kid)).toContain(key.kid);
  });

  it('publishes an Ed25519 key', async () => {
    const key = await testKey('EdDSA');
    const res = await ex.publish(GD, await signed(gd.signer, GD, publishOp(key)));
    expect(res.statusCode).toBe(201);
  });

  const intake: [string, (k: TestKey) => Promise<Record<string, unknown>> | Record<string, unknown>][] = [
    ['PRIVATE_MEMBER', (k) => ({ ...k.publicJwk, d: k.privateJwk.d })],
    [
      'NOT_ON_CURVE',
      (k) => {
        const y = Buffer.from(k.publicJwk.y as string, 'base64url');
        y[31] ^= 1;
        return { ...k.publicJwk, y: y.toString('base64url') };
      },
    ],
    ['KID_MISMATCH', (k) => ({ ...k.publicJwk, kid: zj.kid })],
    [
      'UNSUPPORTED_KEY_TYPE',
      () =>
        generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as Record<
          string,
          unknown
        >,
    ],
    ['WRONG_USE', (k) => ({ ...k.publicJwk, use: 'enc' })],
  ];
  it.each(intake)('refuses a key with 400 KEY_REJECTED, reason %s', async (reason, make) => {
    const key = await testKey();
    const jws = await signed(zj.signer, ZJ, publishOp(key, { key: await make(key) }));
    const res = await ex.publish(ZJ, jws);
    expect([res.statusCode, res.json().code]).toEqual([400, 'KEY_REJECTED']);
    expect(res.json().detail.startsWith(`${reason}:`)).toBe(true);
  });

  it('refuses a small-order Ed25519 key', async () => {
    const smallOrder = { kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32).toString('base64url') };
    const res = await ex.publish(
      ZJ,
      await signed(zj.signer, ZJ, publishOp(await testKey(), { key: smallOrder, alg: 'EdDSA' })),
    );
    expect([res.statusCode, res.json().code, res.json().detail.split(':')[0]]).toEqual([
      400,
      'KEY_REJECTED',
      'SMALL_ORDER',
    ]);
  });

  it.each([
    ['LIFETIME_TOO_LONG', { notAfter: NOW + LIMITS.maxKeyLifetime + 1 }],
    ['BAD_VALIDITY', { notAfter: NOW }],
    ['NOT_BEFORE_IN_PAST', { notBefore: NOW - LIMITS.clockSkew - 1 }],
  ])('refuses a validity window with 400 KEY_REJECTED, reason %s', async (reason, over) => {
    const key = await testKey();
    const res = await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(key, over)));
    expect([res.statusCode, res.json().code, res.json().detail.split(':')[0]]).toEqual([
      400,
      'KEY_REJECTED',
      reason,
    ]);
  });

  it('refuses a key already published, by this or another province, with 409 KEY_ALREADY_KNOWN', async () => {
    const { key } = await publishNew();
    const again = await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(key)));
    expect([again.statusCode, again.json().code]).toEqual([409, 'KEY_ALREADY_KNOWN']);
    const elsewhere = await ex.publish(GD, await signed(gd.signer, GD, publishOp(key)));
    expect([elsewhere.statusCode, elsewhere.json().code]).toEqual([409, 'KEY_ALREADY_KNOWN']);
  });

  it('refuses an enrollment key offered as a signing key with 409 KEY_ALREADY_KNOWN', async () => {
    const res = await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(gd)));
    expect([res.statusCode, res.json().code]).toEqual([409, 'KEY_ALREADY_KNOWN']);
  });

  /**
   * Two real keys whose thumbprints share their first 11 characters take about 2^33 key
   * generations to find, so the test plants what the exchange would hold after publishing such a
   * key: the short-kid item of another kid (same short form) owned by another province.
   */
  const plantShortKid = async (kid: string, region: string) => {
    const other = `${shortKid(kid)}${'Q'.repeat(32)}`;
    const { pk, sk } = ITEM_KEYS.shortKid(shortKid(kid));
    await db.client.send(
      new PutItemCommand({
        TableName: db.tableName,
        Item: {
          pk: { S: pk },
          sk: { S: sk },
          seq: { N: '1' },
          kid: { S: other },
          region: { S: region },
          use: { S: 'signing' },
        },
      }),
    );
  };

  it("refuses a key whose short kid is another key's with 409 SHORT_KID_TAKEN and leaves the log unchanged", async () => {
    const key = await testKey();
    await plantShortKid(key.kid, GD);
    const before = (await ex.log()).json().entries.length;
    const res = await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(key)));
    expect([res.statusCode, res.json().code]).toEqual([409, 'SHORT_KID_TAKEN']);
    expect((await ex.log()).json().entries.length).toBe(before);
  });

  it('refuses to register a province whose enrollment key has a taken short kid with 409 SHORT_KID_TAKEN', async () => {
    const key = await testKey();
    await plantShortKid(key.kid, ZJ);
    const res = await ex.register('110000', '北京市', key.publicJwk);
    expect([res.statusCode, res.json().code]).toEqual([409, 'SHORT_KID_TAKEN']);
  });

  it('gives every published key a short kid that names it alone in the signed trust list', async () => {
    const { key, res } = await publishNew(GD, gd.signer);
    expect(res.statusCode).toBe(201);
    const list = await openTrustList((await ex.trustList()).body, keys(), { now: NOW });
    const snapshot = await buildSnapshot(list);
    expect(snapshot.shortKeys.get(shortKid(key.kid))).toMatchObject({ kid: key.kid, region: GD });
    expect(snapshot.shortKeys.size).toBe(snapshot.keys.size);
  });

  it('answers an unauthentic request 401 before looking at its key: it learns nothing about key validity', async () => {
    const mallory = await testKey();
    const key = await testKey();
    const jws = await signed(
      mallory.signer,
      ZJ,
      publishOp(key, { key: { ...key.publicJwk, d: key.privateJwk.d } }),
    );
    const res = await ex.publish(ZJ, jws);
    expect([res.statusCode, res.json().code]).toEqual([401, 'UNAUTHORIZED']);
  });
});

describe('signed requests', () => {
  const codeOp = () => ({ op: 'code.revoke' as const, codes: [{ jti: nonce(), exp: NOW + DAY }] });
  const refusals: [string, () => Promise<{ statusCode: number; body?: string }>][] = [
    ['not a JWS', () => ex.revokeCodes(ZJ, 'not-a-jws')],
    [
      'signed by a key that is not the enrollment key',
      async () => ex.revokeCodes(ZJ, await signed((await testKey()).signer, ZJ, codeOp())),
    ],
    [
      "signed by another province's enrollment key",
      async () => ex.revokeCodes(ZJ, await signed(gd.signer, ZJ, codeOp())),
    ],
    [
      'for an unregistered region',
      async () => ex.revokeCodes('110000', await signed(zj.signer, '110000', codeOp())),
    ],
    [
      'with another audience',
      async () => ex.revokeCodes(ZJ, await signed(zj.signer, ZJ, codeOp(), { aud: 'other-federation' })),
    ],
    [
      'with a stale iat',
      async () =>
        ex.revokeCodes(ZJ, await signed(zj.signer, ZJ, codeOp(), { iat: NOW - LIMITS.clockSkew - 1 })),
    ],
    [
      'with a future iat',
      async () =>
        ex.revokeCodes(ZJ, await signed(zj.signer, ZJ, codeOp(), { iat: NOW + LIMITS.clockSkew + 1 })),
    ],
    [
      'with a payload region other than the path region',
      async () => ex.revokeCodes(ZJ, await signed(zj.signer, GD, codeOp())),
    ],
    ['sent to another region path', async () => ex.revokeCodes(GD, await signed(zj.signer, ZJ, codeOp()))],
    [
      'with the operation of another route',
      async () => ex.revokeCodes(ZJ, await signed(zj.signer, ZJ, publishOp(zj))),
    ],
    [
      'with a nonce that is not one',
      async () => ex.revokeCodes(ZJ, await signed(zj.signer, ZJ, codeOp(), { jti: 'short' })),
    ],
  ];

  it.each(refusals)('refuses a request %s with the identical 401', async (_name, send) => {
    const logs = captureLogs();
    const res = await send().finally(() => logs.stop());
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body as string)).toEqual({
      type: 'https://hcx.example/problems/unauthorized',
      title: 'Authentication failed',
      status: 401,
      code: 'UNAUTHORIZED',
    });
    expect(
      logs.records().some((r) => r.message === 'signed request refused' && typeof r.reason === 'string'),
    ).toBe(true);
  });

  it('accepts an iat within the clock skew', async () => {
    const res = await ex.revokeCodes(
      ZJ,
      await signed(zj.signer, ZJ, codeOp(), { iat: NOW - LIMITS.clockSkew }),
    );
    expect(res.statusCode).toBe(200);
  });

  it('refuses the same signed request sent twice to the same route', async () => {
    const jws = await signed(zj.signer, ZJ, codeOp());
    expect((await ex.revokeCodes(ZJ, jws)).statusCode).toBe(200);
    expect((await ex.revokeCodes(ZJ, jws)).statusCode).toBe(401);
  });

  it('refuses a signed request replayed to another route', async () => {
    const key = await testKey();
    const jws = await signed(zj.signer, ZJ, publishOp(key));
    expect((await ex.publish(ZJ, jws)).statusCode).toBe(201);
    expect((await ex.revokeCodes(ZJ, jws)).statusCode).toBe(401);
    expect((await ex.revokeKey(ZJ, key.kid, jws)).statusCode).toBe(401);
    // publish, revoke, publish again: the EU gateway's tests accept all three; the replay here is refused
    const revoke = await signed(zj.signer, ZJ, {
      op: 'key.revoke',
      kid: key.kid,
      reason: 'retired',
      revokedAt: NOW,
    });
    expect((await ex.revokeKey(ZJ, key.kid, revoke)).statusCode).toBe(200);
    expect((await ex.publish(ZJ, jws)).statusCode).toBe(401);
  });

  it('does not burn the nonce of a request refused before its last check', async () => {
    const jws = await signed(zj.signer, ZJ, codeOp());
    expect((await ex.revokeCodes(GD, jws)).statusCode).toBe(401);
    expect((await ex.publish(ZJ, jws)).statusCode).toBe(401);
    expect((await ex.revokeCodes(ZJ, jws)).statusCode).toBe(200);
  });

  it('refuses every request signed by a suspended province', async () => {
    const jws = await signed(fj.signer, FJ, codeOp());
    await suspendProvince(ex.deps, FJ);
    expect((await ex.revokeCodes(FJ, jws)).statusCode).toBe(401);
    const provinces = (await ex.provinces()).json().provinces as { region: string; status: string }[];
    expect(provinces.find((p) => p.region === FJ)?.status).toBe('suspended');
  });
});

describe('POST /v1/provinces/{region}/keys/{kid}/revoke', () => {
  const revokeOp = (kid: string) => ({
    op: 'key.revoke' as const,
    kid,
    reason: 'compromised',
    revokedAt: NOW,
  });

  it('revokes a key: 200, out of the JWKS, revoked in the trust list; twice is 409 KEY_ALREADY_REVOKED', async () => {
    const { key } = await publishNew();
    const res = await ex.revokeKey(ZJ, key.kid, await signed(zj.signer, ZJ, revokeOp(key.kid)));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      kid: key.kid,
      status: 'revoked',
      reason: 'compromised',
      revokedAt: NOW,
    });
    expect((await ex.jwks(ZJ)).json().keys.map((k: { kid: string }) => k.kid)).not.toContain(key.kid);
    const list = await openTrustList((await ex.trustList()).body, keys(), { now: NOW });
    expect(list.provinces.flatMap((p) => p.keys).find((k) => k.kid === key.kid)).toMatchObject({
      status: 'revoked',
    });
    const again = await ex.revokeKey(ZJ, key.kid, await signed(zj.signer, ZJ, revokeOp(key.kid)));
    expect([again.statusCode, again.json().code]).toEqual([409, 'KEY_ALREADY_REVOKED']);
  });

  it("cannot revoke another province's key (404) nor a kid other than the path's (400)", async () => {
    const { key } = await publishNew(GD, gd.signer);
    const other = await ex.revokeKey(ZJ, key.kid, await signed(zj.signer, ZJ, revokeOp(key.kid)));
    expect([other.statusCode, other.json().code]).toEqual([404, 'NOT_FOUND']);
    const mismatch = await ex.revokeKey(GD, key.kid, await signed(gd.signer, GD, revokeOp(zj.kid)));
    expect([mismatch.statusCode, mismatch.json().code]).toEqual([400, 'REQUEST_INVALID']);
  });
});

describe('POST /v1/provinces/{region}/code-revocations', () => {
  it('revokes a code once, skips an expired one, and answers counts only', async () => {
    const [a, b] = [nonce().slice(0, 22), nonce().slice(0, 22)];
    const revoke = async (code: { jti: string; exp: number }) =>
      ex.revokeCodes(ZJ, await signed(zj.signer, ZJ, { op: 'code.revoke', codes: [code] }));
    const first = await revoke({ jti: a, exp: NOW + DAY });
    expect(first.json()).toMatchObject({ revoked: 1, alreadyRevoked: 0, expired: 0 });
    const again = await revoke({ jti: a, exp: NOW + DAY });
    expect(again.json()).toMatchObject({ revoked: 0, alreadyRevoked: 1, expired: 0 });
    const expired = await revoke({ jti: b, exp: NOW - LIMITS.clockSkew - 1 });
    expect(expired.json()).toMatchObject({ revoked: 0, alreadyRevoked: 0, expired: 1 });
    const list = await openTrustList((await ex.trustList()).body, keys(), { now: NOW });
    const rows = list.codeRevocations.filter((r) => r.jti === a);
    expect(rows).toHaveLength(1);
    // The row keeps the province's first signed request (revokedAt its iat), checked by openTrustList.
    expect(rows[0]).toMatchObject({ region: ZJ, exp: NOW + DAY, revokedAt: NOW });
    expect(rows[0].request.split('.')).toHaveLength(3);
    expect(list.codeRevocations.some((r) => r.jti === b)).toBe(false);
  });

  it('refuses a request naming more than one code with 400 (one signed request per code)', async () => {
    const codes = [
      { jti: nonce().slice(0, 22), exp: NOW + DAY },
      { jti: nonce().slice(0, 22), exp: NOW + DAY },
    ];
    const res = await ex.revokeCodes(ZJ, await signed(zj.signer, ZJ, { op: 'code.revoke', codes }));
    expect([res.statusCode, res.json().code]).toEqual([400, 'REQUEST_INVALID']);
  });

  it('refuses a code expiry beyond the longest code lifetime with 400', async () => {
    const codes = [{ jti: nonce().slice(0, 22), exp: NOW + LIMITS.maxCodeLifetime + LIMITS.clockSkew + 1 }];
    const res = await ex.revokeCodes(ZJ, await signed(zj.signer, ZJ, { op: 'code.revoke', codes }));
    expect([res.statusCode, res.json().code]).toEqual([400, 'REQUEST_INVALID']);
  });
});

describe('GET /v1/provinces/{region}/jwks.json', () => {
  it('answers 404 for an unknown province and 400 for a malformed region', async () => {
    expect((await ex.jwks('110000')).statusCode).toBe(404);
    expect((await ex.jwks('../etc')).statusCode).toBe(400);
  });
});

describe('GET /v1/trust-list', () => {
  it('serves the signed list with an ETag, and 304 for If-None-Match until something changes', async () => {
    const first = await ex.trustList();
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('application/jose');
    expect(first.headers['cache-control']).toBe('public, max-age=60');
    const list = await openTrustList(first.body, keys(), { now: NOW });
    expect(first.headers.etag).toBe(`"v${list.version}-${list.logHead.slice(0, 16)}-${list.issuedAt}"`);
    const same = await ex.trustList(undefined, { 'if-none-match': first.headers.etag });
    expect([same.statusCode, same.body]).toEqual([304, undefined]);
    await publishNew();
    const changed = await ex.trustList(undefined, { 'if-none-match': first.headers.etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
  });

  it('gives a client applying deltas the same list as a full fetch', async () => {
    const base = await openTrustList((await ex.trustList()).body, keys(), { now: NOW });
    await publishNew();
    await ex.revokeCodes(
      ZJ,
      await signed(zj.signer, ZJ, {
        op: 'code.revoke',
        codes: [{ jti: nonce().slice(0, 22), exp: NOW + DAY }],
      }),
    );
    await publishNew(GD, gd.signer);
    const answer = await ex.trustList({ since: String(base.version) });
    expect(answer.headers['content-type']).toBe('application/jose');
    const delta = await openDelta(answer.body, keys(), { now: NOW });
    expect(delta.entries.length).toBeGreaterThanOrEqual(3);
    const applied: TrustList = applyDelta(base, delta, { now: NOW });
    const full = await openTrustList((await ex.trustList()).body, keys(), { now: NOW });
    expect(applied).toEqual(full);
  });

  it('re-signs an unchanged version later with a new issuedAt and ETag', async () => {
    const first = await ex.trustList();
    ex.time.advance(3600);
    const later = await ex.trustList(undefined, { 'if-none-match': first.headers.etag });
    expect(later.statusCode).toBe(200);
    const list = await openTrustList(later.body, keys(), { now: NOW + 3600 });
    expect(list.issuedAt).toBeGreaterThan(NOW);
  });

  it('answers 400 for a since beyond the current version or not a number', async () => {
    const version = (await openTrustList((await ex.trustList()).body, keys(), { now: NOW })).version;
    expect((await ex.trustList({ since: String(version + 1) })).statusCode).toBe(400);
    expect((await ex.trustList({ since: '-1' })).statusCode).toBe(400);
    expect((await ex.trustList({ since: String(version) })).statusCode).toBe(200);
  });
});

describe('GET /v1/log', () => {
  it('pages through an unforked, gapless log', async () => {
    const all = [];
    let since: number | undefined = 0;
    while (since !== undefined) {
      const page = (await ex.log({ since: String(since), limit: '3' })).json();
      all.push(...page.entries);
      since = page.next;
    }
    expect(all.length).toBeGreaterThan(5);
    expect(verifyChain(undefined, all).seq).toBe(all.length);
  });

  it('answers 400 for a since beyond the end or a limit out of range', async () => {
    expect((await ex.log({ since: '100000' })).statusCode).toBe(400);
    expect((await ex.log({ limit: '0' })).statusCode).toBe(400);
    expect((await ex.log({ limit: '1001' })).statusCode).toBe(400);
  });

  it('answers a page of the largest size (limit=1000) with 200', async () => {
    const page = await ex.log({ since: '0', limit: '1000' });
    expect(page.statusCode).toBe(200);
    expect(page.json().entries.length).toBeGreaterThan(5);
  });
});
