/**
 * Status publications through the real routes over dynalite: one signed batch of a million
 * revocations is one log entry; the batch is served verbatim by hash and commits to the segments
 * the signed list names; every cap is a 4xx before anything is written; no revocation is undone.
 */
import { LIMITS } from '../../functions/core/profiles';
import { openBatch, segmentContent, sha256 } from '../../functions/core/status/batch';
import { SEGMENT_BITS, SegmentSet, groupBySegment } from '../../functions/core/status/segment';
import { federationKeys, openTrustList } from '../../functions/core/trustlist/trust-list';
import { MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE } from '../../functions/exchange/service';
import { MAX_LIVE_SEGMENTS_PER_PROVINCE } from '../../functions/exchange/status';
import { create as publishStatusHandler } from '../../functions/exchange/handlers/publish-status';
import { create as statusBatchHandler } from '../../functions/exchange/handlers/status-batch';
import { dynaliteTables, type DynaliteTables } from '../kit';
import {
  DAY,
  FEDERATION,
  NOW,
  call,
  nonce,
  signed,
  testExchange,
  testKey,
  ZJ,
  GD,
  type TestKey,
} from './fixtures';
import { signRequest } from '../../functions/core/signed-request';
import type { SignedRequestPayload, StatusPublishRequest } from '../../functions/core/schemas/types.gen';

let db: DynaliteTables;
let ex: Awaited<ReturnType<typeof testExchange>>;
let zj: TestKey;
let gd: TestKey;
const keys = () => federationKeys({ keys: [{ ...ex.fed.publicJwk }] }, FEDERATION);

beforeAll(async () => {
  db = await dynaliteTables();
  ex = await testExchange(db.client, db.tableName);
  [zj, gd] = await Promise.all([testKey(), testKey()]);
  expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
  expect((await ex.register(GD, '广东省', gd.publicJwk)).statusCode).toBe(201);
});
afterAll(() => db.close());

const segmentsOf = (indices: number[], rev = 1, exp = NOW + DAY) =>
  [...groupBySegment(indices)].map(([segment, offsets]) =>
    segmentContent(segment, rev, exp, SegmentSet.fromSorted(offsets)),
  );

const batch = (segments: StatusPublishRequest['segments'], key = zj, region = ZJ) =>
  signRequest(key.signer, {
    aud: FEDERATION,
    iat: NOW,
    jti: nonce(),
    region,
    op: 'status.publish',
    segments,
  } as SignedRequestPayload);

const post = (jws: string, region = ZJ) =>
  call(publishStatusHandler(ex.deps), {
    method: 'POST',
    path: '/v1/provinces/{region}/status-segments',
    pathParameters: { region },
    headers: { 'content-type': 'application/jose' },
    body: jws,
  });

const getBatch = (hash: string) =>
  call(statusBatchHandler(ex.deps), {
    method: 'GET',
    path: '/v1/status-batches/{hash}',
    pathParameters: { hash },
  });

const head = async () => (await ex.log({ since: '0', limit: '1000' })).json().entries.length as number;

describe('POST /v1/provinces/{region}/status-segments', () => {
  it('accepts a million revocations as one signed batch and one log entry, served verbatim by hash', async () => {
    // A million indices spread over 16 segments (a district's codes among a day of issuance).
    const indices = Array.from({ length: 1_000_000 }, (_, i) => Math.floor(i * 16.7) + 3);
    const jws = await batch(segmentsOf(indices));
    const before = await head();
    const res = await post(jws);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ revoked: 1_000_000, unchanged: 0, batch: sha256(jws) });
    expect(await head()).toBe(before + 1);

    const list = await openTrustList((await ex.trustList()).body, keys(), { now: NOW });
    const listed = list.statusSegments ?? [];
    expect(listed.reduce((n, s) => n + s.count, 0)).toBe(1_000_000);
    expect(new Set(listed.map((s) => s.batch))).toEqual(new Set([sha256(jws)]));

    const served = await getBatch(sha256(jws));
    expect(served.statusCode).toBe(200);
    expect(served.headers?.['cache-control']).toContain('immutable');
    const opened = openBatch(served.body as string, listed[0].batch, { alg: zj.alg, jwk: zj.publicJwk });
    for (const s of listed) expect(opened.segments.get(s.segment)?.digest).toBe(s.digest);
    expect(opened.segments.get(0)?.set.has(3)).toBe(true);
  });

  it('treats a retried publication as done, and refuses an older revision (SEGMENT_REV_STALE)', async () => {
    const segs = segmentsOf([GD_SI], 1);
    const first = await post(await batch(segs, gd, GD), GD);
    expect(first.json()).toMatchObject({ segments: 1, unchanged: 0 });
    const before = await head();
    const again = await post(await batch(segs, gd, GD), GD);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ segments: 0, unchanged: 1 });
    expect(await head()).toBe(before);
    const other = await post(await batch(segmentsOf([GD_SI, GD_SI + 1], 1), gd, GD), GD);
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('SEGMENT_REV_STALE');
  });

  it('never undoes a revocation (SEGMENT_SHRINKS) and writes nothing then', async () => {
    await post(await batch(segmentsOf([GD_SI, GD_SI + 5], 2), gd, GD), GD);
    const before = await head();
    const res = await post(await batch(segmentsOf([GD_SI + 5], 3), gd, GD), GD);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('SEGMENT_SHRINKS');
    expect(await head()).toBe(before);
  });

  it('refuses a segment expiring beyond the longest code lifetime (400) and a malformed segment (400)', async () => {
    const far = await post(await batch(segmentsOf([1], 1, NOW + LIMITS.maxCodeLifetime + 3600), gd, GD), GD);
    expect(far.statusCode).toBe(400);
    const bad = {
      ...segmentContent(9, 1, NOW + DAY, SegmentSet.fromSorted(Uint32Array.from([1]))),
      count: 2,
    };
    const res = await post(await batch([bad], gd, GD), GD);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('REQUEST_INVALID');
  });

  it('refuses a batch signed by another province (401) and another region in the path', async () => {
    const res = await post(await batch(segmentsOf([7]), zj, ZJ), GD);
    expect(res.statusCode).toBe(401);
  });

  it('caps live segments per province with one constant, checked before anything is written', async () => {
    const region = '350000';
    const fj = await testKey();
    expect((await ex.register(region, '福建省', fj.publicJwk)).statusCode).toBe(201);
    for (let start = 0; start < MAX_LIVE_SEGMENTS_PER_PROVINCE; start += 32) {
      const count = Math.min(32, MAX_LIVE_SEGMENTS_PER_PROVINCE - start);
      const indices = Array.from({ length: count }, (_, i) => (start + i) * SEGMENT_BITS);
      expect((await post(await batch(segmentsOf(indices), fj, region), region)).statusCode).toBe(200);
    }
    const before = await head();
    const res = await post(
      await batch(segmentsOf([MAX_LIVE_SEGMENTS_PER_PROVINCE * SEGMENT_BITS]), fj, region),
      region,
    );
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('STATUS_SEGMENTS_FULL');
    expect(await head()).toBe(before);
  });
});

describe('POST /v1/provinces/{region}/code-revocations (codes without a status index)', () => {
  it('counts live revocations by code id, and refuses past the cap before anything is written', async () => {
    const send = async (codes: { jti: string; exp: number }[]) =>
      ex.revokeCodes(ZJ, await signed(zj.signer, ZJ, { op: 'code.revoke', codes }));
    const repo = ex.deps.repository;
    const base = await repo.countLiveCodeRevocations(ZJ, NOW);
    expect((await send([{ jti: nonce(), exp: NOW + DAY }])).statusCode).toBe(200);
    expect((await send([{ jti: nonce(), exp: NOW + 60 }])).statusCode).toBe(200);
    expect(await repo.countLiveCodeRevocations(ZJ, NOW)).toBe(base + 2);
    // The one that expires in a minute is no longer counted an hour later.
    expect(await repo.countLiveCodeRevocations(ZJ, NOW + 3600)).toBe(base + 1);

    const spy = jest
      .spyOn(repo, 'countLiveCodeRevocations')
      .mockResolvedValue(MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE);
    try {
      const before = (await repo.lastEntry())?.seq;
      const res = await send([{ jti: nonce(), exp: NOW + DAY }]);
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('CODE_REVOCATIONS_FULL');
      expect((await repo.lastEntry())?.seq).toBe(before);
      spy.mockResolvedValue(MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE - 1);
      expect((await send([{ jti: nonce(), exp: NOW + DAY }])).statusCode).toBe(200);
    } finally {
      spy.mockRestore();
    }
  });
});

const GD_SI = 5 * SEGMENT_BITS + 11;
