/**
 * Status publications through the real routes over dynalite: one signed batch of a million
 * revocations is one log entry; the batch is served verbatim by hash and commits to the segments
 * the signed list names; every cap is a 4xx before anything is written; no revocation is undone.
 */
import { LIMITS } from '../../functions/core/profiles';
import { MAX_PATCH_CHAIN } from '../../functions/core/rules';
import {
  openBatch,
  segmentContent,
  segmentPatch,
  sha256,
  type BatchFull,
} from '../../functions/core/status/batch';
import {
  SEGMENT_BITS,
  SegmentSet,
  encodeSegment,
  groupBySegment,
  packSegment,
} from '../../functions/core/status/segment';
import { federationKeys, openTrustList } from '../../functions/core/trustlist/trust-list';
import { MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE } from '../../functions/exchange/service';
import { MAX_LIVE_SEGMENTS_PER_PROVINCE, STORED_CHAIN_BOUND } from '../../functions/exchange/status';
import { ITEM_KEYS } from '../../functions/exchange/dynamo-repository';
import { documentClient } from '../../functions/aws/dynamodb';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
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
    expect((opened.segments.get(0) as BatchFull).set.has(3)).toBe(true);
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

describe('segment patches (a revision carrying only the offsets added)', () => {
  const SEG = 40;
  const set = (offsets: readonly number[]) => SegmentSet.fromSorted(Uint32Array.from(offsets));
  const rowOf = async (segment: number) =>
    (await openTrustList((await ex.trustList()).body, keys(), { now: NOW })).statusSegments?.find(
      (s) => s.region === ZJ && s.segment === segment,
    );
  /** Publish `segments` as ZJ, expecting `status`; the log grows by one entry only on a 200 that moved something. */
  const publish = async (segments: StatusPublishRequest['segments'], status = 200) => {
    // A refusal writes nothing: the log head is read around it (not around every success: speed).
    const before = status === 200 ? 0 : await head();
    const jws = await batch(segments);
    const res = await post(jws);
    expect([res.statusCode, res.statusCode === 200 ? 'OK' : res.json().code]).toEqual([
      status,
      status === 200 ? 'OK' : expect.any(String),
    ]);
    if (status !== 200) expect(await head()).toBe(before);
    return { res, code: res.statusCode === 200 ? 'OK' : (res.json().code as string), hash: sha256(jws), jws };
  };
  /** The patch adding `added` to the listed row of `segment`, whose content is `content`. */
  const patchOn = async (
    segment: number,
    content: readonly number[],
    added: readonly number[],
    exp = NOW + DAY,
  ) => {
    const row = (await rowOf(segment))!;
    const next = set([...content, ...added].sort((a, b) => a - b));
    return segmentPatch(segment, row.rev + 1, exp, next, row, Uint32Array.from(added));
  };

  it('accepts a patch on the live revision: the list names the patch batch at depth 1, the next builds on it', async () => {
    await publish([segmentContent(SEG, 1, NOW + DAY, set([1, 2]))]);
    const p1 = await patchOn(SEG, [1, 2], [3]);
    const first = await publish([p1]);
    expect(first.res.json()).toMatchObject({ segments: 1, unchanged: 0 });
    expect(await rowOf(SEG)).toMatchObject({
      rev: 2,
      depth: 1,
      count: 3,
      digest: p1.digest,
      batch: first.hash,
    });
    const p2 = await patchOn(SEG, [1, 2, 3], [700_000]);
    const second = await publish([p2]);
    expect(await rowOf(SEG)).toMatchObject({ rev: 3, depth: 2, count: 4, batch: second.hash });
    // the patch batch is served verbatim by hash, as every batch is
    expect((await getBatch(second.hash)).body).toBe(second.jws);
    // a retried patch (same revision and content) is done already
    const again = await publish([p2]);
    expect(again.res.json()).toMatchObject({ segments: 0, unchanged: 1 });
    // a full publication over a patched revision is checked against the content the patches gave
    const shrinks = await publish([segmentContent(SEG, 4, NOW + DAY, set([1, 2, 3]))], 409);
    expect(shrinks.code).toBe('SEGMENT_SHRINKS');
    await publish([segmentContent(SEG, 4, NOW + DAY, set([1, 2, 3, 9, 700_000]))]);
    const row = await rowOf(SEG);
    expect([row?.rev, row?.depth, row?.count]).toEqual([4, undefined, 5]);
  });

  it.each([
    ['an older base revision', (r: { rev: number }) => ({ rev: r.rev - 1 }), 'SEGMENT_BASE_STALE'],
    ['another base digest', () => ({ digest: sha256('other') }), 'SEGMENT_BASE_STALE'],
    ['another base batch', () => ({ batch: sha256('other') }), 'SEGMENT_BASE_STALE'],
  ] as const)('refuses a patch on %s (%s) and writes nothing', async (_case, change, code) => {
    const segment = SEG + 1;
    if (!(await rowOf(segment))) {
      await publish([segmentContent(segment, 1, NOW + DAY, set([5]))]);
      await publish([await patchOn(segment, [5], [6])]);
    }
    const p = await patchOn(segment, [5, 6], [7]);
    const out = await publish([{ ...p, base: { ...p.base, ...change(p.base) } }], 409);
    expect(out.code).toBe(code);
  });

  it('refuses a patch on a segment never published (SEGMENT_BASE_STALE)', async () => {
    const on = { rev: 1, digest: sha256('x'), batch: sha256('y') };
    const p = segmentPatch(SEG + 9, 2, NOW + DAY, set([1, 2]), on, Uint32Array.of(2));
    expect((await publish([p], 409)).code).toBe('SEGMENT_BASE_STALE');
  });

  it('refuses a patch that does not give what it commits to (SEGMENT_PATCH_MISMATCH), or expires earlier (SEGMENT_SHRINKS)', async () => {
    const segment = SEG + 2;
    await publish([segmentContent(segment, 1, NOW + DAY, set([10, 20]))]);
    const good = await patchOn(segment, [10, 20], [30]);
    const lying = { ...good, count: 4, digest: sha256(encodeSegment(set([10, 20, 30, 31]))) };
    expect((await publish([lying], 400)).code).toBe('SEGMENT_PATCH_MISMATCH');
    // adds an offset the base holds: the count and digest of the union would not match
    const overlap = await patchOn(segment, [10, 20], [20, 30]);
    expect((await publish([{ ...overlap, count: 3, digest: good.digest }], 400)).code).toBe(
      'SEGMENT_PATCH_MISMATCH',
    );
    const earlier = await patchOn(segment, [10, 20], [30], NOW + DAY - 60);
    expect((await publish([earlier], 409)).code).toBe('SEGMENT_SHRINKS');
    await publish([good]);
  });

  it(`refuses a patch past MAX_PATCH_CHAIN (${MAX_PATCH_CHAIN}) patches since a full publication (SEGMENT_CHAIN_FULL)`, async () => {
    const segment = SEG + 3;
    const content = [0];
    const full = await publish([segmentContent(segment, 1, NOW + DAY, set(content))]);
    // the row each publication leaves, tracked here (reading the list each time is slow under load)
    let at = { rev: 1, digest: sha256(encodeSegment(set(content))), batch: full.hash };
    for (let i = 1; i <= MAX_PATCH_CHAIN; i++) {
      const next = set([...content, i]);
      const patch = segmentPatch(segment, at.rev + 1, NOW + DAY, next, at, Uint32Array.of(i));
      const out = await publish([patch]);
      content.push(i);
      at = { rev: patch.rev, digest: patch.digest, batch: out.hash };
    }
    expect((await rowOf(segment))?.depth).toBe(MAX_PATCH_CHAIN);
    const over = await publish([await patchOn(segment, content, [999])], 409);
    expect(over.code).toBe('SEGMENT_CHAIN_FULL');
    const row = (await rowOf(segment))!;
    await publish([segmentContent(segment, row.rev + 1, NOW + DAY, set([...content, 999]))]);
    expect((await rowOf(segment))?.depth).toBeUndefined();
  }, 120_000);
});

describe('what the exchange stores: segment revisions as patch items (SCONTENT#)', () => {
  const doc = () => documentClient(db.client);
  const keyOf = (digest: string) => ITEM_KEYS.segmentContent(digest);
  const itemOf = async (digest: string) =>
    (await doc().send(new GetCommand({ TableName: db.tableName, Key: keyOf(digest), ConsistentRead: true })))
      .Item;
  const set = (offsets: readonly number[]) => SegmentSet.fromSorted(Uint32Array.from(offsets).sort());
  const digestOf = (offsets: readonly number[]) => sha256(encodeSegment(set(offsets)));
  /** BatchGetItem calls the exchange's client sends while `work` runs (its base resolution's rounds). */
  const batchGets = async <T>(work: () => Promise<T>): Promise<{ out: T; calls: number }> => {
    let calls = 0;
    const name = 'countBatchGets';
    db.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchGetItemCommand') calls++;
        return next(args);
      },
      { step: 'initialize', name },
    );
    try {
      return { out: await work(), calls };
    } finally {
      db.client.middlewareStack.remove(name);
    }
  };
  /** A segment of ZJ: a whole publication, then patches adding one offset each (tracking the row). */
  const chain = async (segment: number) => {
    // content of its own (items are by digest: equal contents share one)
    const content = [segment * 1000];
    const whole = await batch([segmentContent(segment, 1, NOW + DAY, set(content))]);
    expect((await post(whole)).statusCode).toBe(200);
    let at = { rev: 1, digest: digestOf(content), batch: sha256(whole) };
    const next = async (added: number, expected = 200) => {
      const patch = segmentPatch(
        segment,
        at.rev + 1,
        NOW + DAY,
        set([...content, added]),
        at,
        Uint32Array.of(added),
      );
      const jws = await batch([patch]);
      const before = await head();
      const { out: res, calls } = await batchGets(() => post(jws));
      const code = res.statusCode === 200 ? 'OK' : (res.json().code as string);
      expect([res.statusCode, code]).toEqual([expected, expected === 200 ? 'OK' : expect.any(String)]);
      if (expected === 200) {
        content.push(added);
        at = { rev: patch.rev, digest: patch.digest, batch: sha256(jws) };
      } else {
        // refused: nothing written (no entry, no batch, no content item for the digest refused)
        expect(await head()).toBe(before);
        expect((await getBatch(sha256(jws))).statusCode).toBe(404);
        expect(await itemOf(patch.digest)).toBeUndefined();
      }
      return { code, calls, digest: patch.digest };
    };
    return { next, at: () => at, content, first: digestOf([segment * 1000]) };
  };

  it(`stores a whole publication whole and each patch as a patch item on its base, whole again at ${STORED_CHAIN_BOUND} deep`, async () => {
    const c = await chain(60);
    expect(await itemOf(c.first)).toMatchObject({ kind: 'segment', bits: expect.any(String) });
    let base = c.first;
    for (let depth = 1; depth <= STORED_CHAIN_BOUND; depth++) {
      const { calls, digest } = await c.next(depth);
      // the base's chain is read one BatchGet round per level: the whole item and depth - 1 patch items
      expect(calls).toBe(depth);
      const item = await itemOf(digest);
      expect(item).toMatchObject({
        kind: 'segment-patch',
        base,
        depth,
        count: depth + 1,
        ttl: expect.any(Number),
      });
      expect(item?.bits).toBeUndefined();
      expect(JSON.stringify(item).length).toBeLessThan(300);
      base = digest;
    }
    // at the bound: stored whole again (the list's chain goes on: depth bound + 1)
    const rewhole = await c.next(STORED_CHAIN_BOUND + 1);
    expect(rewhole.calls).toBe(STORED_CHAIN_BOUND + 1);
    expect(await itemOf(rewhole.digest)).toMatchObject({ kind: 'segment', bits: expect.any(String) });
    const row = (await openTrustList((await ex.trustList()).body, keys(), { now: NOW })).statusSegments?.find(
      (s) => s.region === ZJ && s.segment === 60,
    );
    expect(row?.depth).toBe(STORED_CHAIN_BOUND + 1);
    // and the next patch is one item deep on it, read in one round
    const after = await c.next(100);
    expect(after.calls).toBe(1);
    expect(await itemOf(after.digest)).toMatchObject({
      kind: 'segment-patch',
      base: rewhole.digest,
      depth: 1,
    });
  }, 120_000);

  it.each([
    ['a patch link deleted', 'delete-link'],
    ['a patch link altered (other offsets)', 'alter-link'],
    ['the whole item under the chain altered', 'alter-whole'],
  ] as const)(
    'refuses the next patch when %s: SEGMENT_BASE_UNREADABLE, nothing written',
    async (_case, spoil) => {
      const segment = { 'delete-link': 61, 'alter-link': 62, 'alter-whole': 63 }[spoil];
      const c = await chain(segment);
      const first = await c.next(1);
      await c.next(2);
      if (spoil === 'delete-link') {
        await doc().send(new DeleteCommand({ TableName: db.tableName, Key: keyOf(first.digest) }));
      } else if (spoil === 'alter-link') {
        const item = (await itemOf(first.digest))!;
        const other = packSegment(encodeSegment(set([7])));
        await doc().send(new PutCommand({ TableName: db.tableName, Item: { ...item, add: other } }));
      } else {
        const item = (await itemOf(c.first))!;
        await doc().send(
          new PutCommand({
            TableName: db.tableName,
            Item: { ...item, bits: packSegment(encodeSegment(set([0, 5]))) },
          }),
        );
      }
      expect((await c.next(3, 500)).code).toBe('SEGMENT_BASE_UNREADABLE');
      // a whole publication over it needs the held content too (never-shrink): refused the same way
      const before = await head();
      const whole = await post(
        await batch([segmentContent(segment, c.at().rev + 1, NOW + DAY, set([0, 1, 2, 3]))]),
      );
      expect([whole.statusCode, whole.json().code]).toEqual([500, 'SEGMENT_BASE_UNREADABLE']);
      expect(await head()).toBe(before);
    },
  );

  it('reads a whole publication from its batch when its item is absent (revisions accepted before items), and stores the next whole', async () => {
    const c = await chain(64);
    await doc().send(new DeleteCommand({ TableName: db.tableName, Key: keyOf(c.first) }));
    const { digest } = await c.next(1);
    expect(await itemOf(digest)).toMatchObject({ kind: 'segment', bits: expect.any(String) });
    const next = await c.next(2);
    expect(await itemOf(next.digest)).toMatchObject({ kind: 'segment-patch', base: digest, depth: 1 });
    // a lying patch on it is still refused by content
    const at = c.at();
    const lying = segmentPatch(64, at.rev + 1, NOW + DAY, set([1, 2, 4, 64_000]), at, Uint32Array.of(4));
    const res = await post(await batch([{ ...lying, digest: digestOf([1, 2, 9, 64_000]) }]));
    expect([res.statusCode, res.json().code]).toEqual([400, 'SEGMENT_PATCH_MISMATCH']);
  });
});
