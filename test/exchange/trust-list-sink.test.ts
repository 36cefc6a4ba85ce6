/**
 * Publishing the signed trust list to S3: the exact PutObject the S3 sink sends (aws-sdk-client-mock),
 * and over dynalite that every mutation hands the sink a list a node accepts, that a failing sink
 * never fails the mutation, that a list overtaken during its put is put again, and the scheduled
 * publisher with and without a bucket.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { metrics } from '../../functions/aws/observability';
import { federationKeys, openTrustList } from '../../functions/core/trustlist/trust-list';
import { createExchangeDeps, exchangeDepsFromEnv } from '../../functions/exchange/deps';
import { fromEnv as publisherFromEnv } from '../../functions/exchange/handlers/publish-trust-list';
import { InternalError } from '../../functions/core/errors';
import { gunzipSync } from 'node:zlib';
import { S3TrustListSink } from '../../functions/aws/s3-trust-list-sink';
import { type StaticObject, trustListObject } from '../../functions/exchange/static-artefacts';
import { appendWith } from '../../functions/exchange/service';
import {
  publishTrustList,
  TRUST_LIST_PUBLISH_FAILED_METRIC,
  type TrustListSink,
} from '../../functions/exchange/trust-list-sink';
import { create as createPublisher } from '../../functions/exchange/handlers/publish-trust-list';
import { create as publishStatusHandler } from '../../functions/exchange/handlers/publish-status';
import { segmentContent, sha256 } from '../../functions/core/status/batch';
import { SegmentSet } from '../../functions/core/status/segment';
import { signRequest } from '../../functions/core/signed-request';
import type { SignedRequestPayload } from '../../functions/core/schemas/types.gen';
import { createTable } from '../../functions/aws/dynamodb';
import { EXCHANGE_TABLE } from '../../functions/core/storage/tables';
import { captureLogs, dynaliteTables, lambdaContext, type DynaliteTables, thrown } from '../kit';
import {
  call,
  clock,
  exchangeRoutes,
  DAY,
  FEDERATION,
  GD,
  nonce,
  NOW,
  publishOp,
  signed,
  testExchange,
  testKey,
  ZJ,
} from './fixtures';

let db: DynaliteTables;
let tables = 0;
beforeAll(async () => {
  db = await dynaliteTables();
});
afterAll(() => db.close());

/** A new, empty exchange table in the shared dynalite (each test its own log). */
async function freshTable(): Promise<string> {
  const name = `sink-${process.pid}-${++tables}`;
  await createTable(db.client, EXCHANGE_TABLE, name);
  return name;
}

/** A sink that keeps what it was given, or fails when told to. */
function recordingSink() {
  const puts: { jws: string; etag: string }[] = [];
  const objects: StaticObject[] = [];
  const removed: string[] = [];
  let failWith: Error | undefined;
  const sink: TrustListSink = {
    async put(object) {
      if (failWith) throw failWith;
      objects.push(object);
      if (object.key !== 'v1/trust-list') return;
      puts.push({ jws: unzipped(object), etag: object.metadata?.['hcx-etag'] as string });
    },
    async remove(key) {
      removed.push(key);
    },
  };
  return { sink, puts, objects, removed, fail: (e?: Error) => (failWith = e) };
}

/** The text of a stored (gzip'd) artefact. */
const unzipped = (object: StaticObject) => gunzipSync(object.body).toString('utf8');

/** The payload of a compact JWS, unverified (to read its version before opening it). */
const payloadOf = (jws: string) =>
  JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8')) as { version: number };

describe('S3TrustListSink', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());
  afterAll(() => s3.restore());

  it('puts the list at v1/trust-list gzip-compressed as application/jose with a short Cache-Control', async () => {
    // prepare
    s3.on(PutObjectCommand).resolves({});
    const sink = new S3TrustListSink(new S3Client({ region: 'ap-east-1' }), 'hcx-trust-list-bucket');

    // act
    await sink.put(trustListObject('eyJh.eyJi.c2ln', '"v3-abc-1790000000"'));

    // assert
    const inputs = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      {
        Bucket: 'hcx-trust-list-bucket',
        Key: 'v1/trust-list',
        Body: expect.any(Buffer),
        ContentType: 'application/jose',
        ContentEncoding: 'gzip',
        CacheControl: 'public, max-age=60',
        Metadata: { 'hcx-etag': '"v3-abc-1790000000"' },
      },
    ]);
    expect(gunzipSync(inputs[0].Body as Buffer).toString('utf8')).toBe('eyJh.eyJi.c2ln');
  });

  it('is what a publishing function sends to when TRUST_LIST_BUCKET is set, and only then', async () => {
    // prepare: configuration only; nothing is read or called while building
    s3.on(PutObjectCommand).resolves({});
    const env = {
      TABLE_NAME: 'exchange',
      FEDERATION_ID: FEDERATION,
      FEDERATION_KEY_FILE: join(tmpdir(), 'never-read.jwk.json'),
      AWS_REGION: 'ap-east-1',
    };

    // act
    const without = publisherFromEnv(env);
    const withBucket = publisherFromEnv({ ...env, TRUST_LIST_BUCKET: 'the-bucket' });
    await withBucket.trustListSink?.put(trustListObject('a.b.c', '"v1"'));

    // assert
    expect(without.trustListSink).toBeUndefined();
    // deltas are published after every change either way; the full list only with a bucket
    expect(without.afterChange).toBeDefined();
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ Bucket: 'the-bucket', Key: 'v1/trust-list', ContentEncoding: 'gzip' }),
    ]);
  });

  it('is refused, as a deployment error, by a function not built to publish (it never loads the S3 SDK)', () => {
    // prepare
    const env = {
      TABLE_NAME: 'exchange',
      FEDERATION_ID: FEDERATION,
      FEDERATION_KEY_FILE: join(tmpdir(), 'never-read.jwk.json'),
      AWS_REGION: 'ap-east-1',
      TRUST_LIST_BUCKET: 'the-bucket',
    };

    // act
    const built = thrown(() => exchangeDepsFromEnv(env));

    // assert
    expect(built).toBeInstanceOf(InternalError);
    expect((built as InternalError).code).toBe('INTERNAL');
    expect(String((built as InternalError).cause)).toContain('TRUST_LIST_BUCKET');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('publishing after a change', () => {
  it('hands the sink, after every mutation, the full list at the new head that a node accepts', async () => {
    // prepare
    const { sink, puts } = recordingSink();
    const ex = await testExchange(db.client, await freshTable(), clock(), { trustListSink: sink });
    const keys = federationKeys({ keys: [{ ...ex.fed.publicJwk }] }, FEDERATION);
    const zj = await testKey();
    const signing = await testKey();
    const version = async () => (await ex.deps.repository.lastEntry())?.seq;

    // act: register, publish a key, revoke codes, revoke the key, suspend
    const answers = [(await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode];
    const afterRegister = await version();
    answers.push((await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(signing)))).statusCode);
    const codes = [{ jti: nonce(), exp: NOW + DAY }];
    answers.push(
      (await ex.revokeCodes(ZJ, await signed(zj.signer, ZJ, { op: 'code.revoke', codes }))).statusCode,
    );
    const keyRevoke = { op: 'key.revoke' as const, kid: signing.kid, reason: 'superseded', revokedAt: NOW };
    answers.push((await ex.revokeKey(ZJ, signing.kid, await signed(zj.signer, ZJ, keyRevoke))).statusCode);
    answers.push((await ex.suspend(ZJ)).statusCode);

    // assert: one put per request, each the list at that request's head
    expect(answers).toEqual([201, 201, 200, 200, 200]);
    expect(puts.map((p) => payloadOf(p.jws).version)).toEqual([afterRegister, 2, 3, 4, 5]);
    const last = await openTrustList(puts.at(-1)!.jws, keys, { now: NOW });
    expect(last.version).toBe(await version());
    expect(last.provinces.map((p) => [p.region, p.status, p.keys.map((k) => k.status)])).toEqual([
      [ZJ, 'suspended', ['revoked']],
    ]);
    expect(last.codeRevocations).toHaveLength(1);
    expect(puts.at(-1)!.etag).toBe((await ex.deps.trustLists.current()).etag);
  });

  it('does not put anything for a request that changed nothing', async () => {
    // prepare
    const { sink, puts } = recordingSink();
    const ex = await testExchange(db.client, await freshTable(), clock(), { trustListSink: sink });
    const gd = await testKey();
    expect((await ex.register(GD, '广东省', gd.publicJwk)).statusCode).toBe(201);
    expect((await ex.suspend(GD)).statusCode).toBe(200);
    const before = puts.length;

    // act: suspend again, and a refused registration
    const again = await ex.suspend(GD);
    const twice = await ex.register(GD, '广东省', gd.publicJwk);

    // assert
    expect([again.statusCode, twice.statusCode]).toEqual([200, 409]);
    expect(puts).toHaveLength(before);
  });

  it('answers the mutation even when the sink fails, logs why without the list, and counts it', async () => {
    // prepare
    const { sink, puts, fail } = recordingSink();
    const ex = await testExchange(db.client, await freshTable(), clock(), { trustListSink: sink });
    fail(Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', $metadata: {} }));
    const counted = jest.spyOn(metrics, 'addMetric');
    const fj = await testKey();
    const logs = captureLogs();

    // act
    const res = await ex.register('350000', '福建省', fj.publicJwk).finally(() => logs.stop());

    // assert
    expect(res.statusCode).toBe(201);
    expect(puts).toHaveLength(0);
    expect(counted).toHaveBeenCalledWith(TRUST_LIST_PUBLISH_FAILED_METRIC, 'Count', 1);
    const failure = logs.records().find((r) => r.message === 'trust list publication failed');
    expect(failure).toMatchObject({ errorName: 'ServiceUnavailable', trigger: 'change' });
    expect(logs.text()).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    counted.mockRestore();
  });

  it('puts the list again when the log moved on during the put, so an older list never stays', async () => {
    // prepare: while the first put is in flight, another writer appends an entry
    const ex = await testExchange(db.client, await freshTable());
    const gd = await testKey();
    expect((await ex.register(GD, '广东省', gd.publicJwk)).statusCode).toBe(201);
    const versions: number[] = [];
    let raced = false;
    const sink: TrustListSink = {
      async put(object) {
        if (object.key !== 'v1/trust-list') return;
        versions.push(payloadOf(unzipped(object)).version);
        if (raced) return;
        raced = true;
        await appendWith(ex.deps, async (seq) => ({
          seq,
          at: NOW,
          type: 'province.suspended',
          region: GD,
          data: {},
        }));
      },
      remove: () => Promise.resolve(),
    };
    const head = (await ex.deps.repository.lastEntry())!.seq;

    // act
    const outcome = await publishTrustList({ ...ex.deps, sink }, 'test');

    // assert
    expect(outcome).toEqual({ result: 'published', version: head + 1, rounds: 2 });
    expect(versions).toEqual([head, head + 1]);
  });
});

describe('the scheduled publisher', () => {
  it('re-signs the current list and puts it, with a later issuedAt than the last one', async () => {
    // prepare
    const { sink, puts } = recordingSink();
    const time = clock();
    const ex = await testExchange(db.client, await freshTable(), time, { trustListSink: sink });
    const zj = await testKey();
    expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
    const keys = federationKeys({ keys: [{ ...ex.fed.publicJwk }] }, FEDERATION);
    time.advance(3600);

    // act
    const outcome = await createPublisher(ex.deps)({} as never, lambdaContext());

    // assert
    // the head's own (empty) delta re-issued for the new window: one signature
    expect(outcome).toEqual({ result: 'published', version: 1, rounds: 1, deltas: 1 });
    const [first, second] = await Promise.all(
      puts.map((p) => openTrustList(p.jws, keys, { now: time.now() })),
    );
    expect(second.version).toBe(first.version);
    expect(second.issuedAt).toBeGreaterThan(first.issuedAt);
    expect(second.expiresAt).toBeGreaterThanOrEqual(time.now() + DAY - 900);
  });

  it('publishes only the deltas without a sink (a function without TRUST_LIST_BUCKET)', async () => {
    // prepare
    const time = clock();
    const ex = await testExchange(db.client, await freshTable(), time);
    const zj = await testKey();
    expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);

    // act: in the same window the registration's publication already holds; in the next one, re-issue
    const same = await createPublisher(ex.deps)({} as never, lambdaContext());
    time.advance(3600);
    const next = await createPublisher(ex.deps)({} as never, lambdaContext());

    // assert
    expect(same).toEqual({ result: 'skipped', deltas: 0 });
    expect(next).toEqual({ result: 'skipped', deltas: 1 });
  });
});

describe('the static artefacts of a publication', () => {
  it('hands the sink the deltas and the new status batch, each gzip-compressed under its key with its cache policy', async () => {
    // prepare
    const { sink, objects } = recordingSink();
    const ex = await testExchange(db.client, await freshTable(), clock(), { trustListSink: sink });
    const zj = await testKey();
    expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
    const before = (await ex.deps.repository.lastEntry())!.seq;
    objects.length = 0;
    const batch = await signRequest(zj.signer, {
      aud: FEDERATION,
      iat: NOW,
      jti: nonce(),
      region: ZJ,
      op: 'status.publish',
      segments: [segmentContent(7, 1, NOW + DAY, SegmentSet.fromSorted(Uint32Array.from([3, 9])))],
    } as SignedRequestPayload);

    // act
    const answer = await call(publishStatusHandler(ex.deps), {
      method: 'POST',
      path: '/v1/provinces/{region}/status-segments',
      pathParameters: { region: ZJ },
      headers: { 'content-type': 'application/jose' },
      body: batch,
    });

    // assert: the batch (immutable), the deltas from the published versions and the head (short), the list
    expect(answer.statusCode).toBe(200);
    const byKey = new Map(objects.map((o) => [o.key, o]));
    const hash = sha256(batch);
    expect(unzipped(byKey.get(`v1/status-batches/${hash}`)!)).toBe(batch);
    expect(byKey.get(`v1/status-batches/${hash}`)?.cacheControl).toBe('public, max-age=31536000, immutable');
    for (const from of [before, before + 1]) {
      const delta = byKey.get(`v1/trust-list/deltas/${from}`);
      expect([from, delta?.cacheControl, delta?.contentEncoding]).toEqual([
        from,
        'public, max-age=60',
        'gzip',
      ]);
      expect(unzipped(delta!)).toBe(await ex.deps.trustLists.delta(from));
    }
    expect(byKey.get('v1/trust-list')?.contentType).toBe('application/jose');
    expect(objects.every((o) => o.contentType === 'application/jose' && o.contentEncoding === 'gzip')).toBe(
      true,
    );
  });

  it('puts the batch again at the next run when a put failed, so a failure is repaired', async () => {
    // prepare: the sink fails during the publication that follows the status request
    const { sink, objects, fail } = recordingSink();
    const ex = await testExchange(db.client, await freshTable(), clock(), { trustListSink: sink });
    const zj = await testKey();
    expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
    const batch = await signRequest(zj.signer, {
      aud: FEDERATION,
      iat: NOW,
      jti: nonce(),
      region: ZJ,
      op: 'status.publish',
      segments: [segmentContent(8, 1, NOW + DAY, SegmentSet.fromSorted(Uint32Array.from([1])))],
    } as SignedRequestPayload);
    fail(new Error('s3 down'));
    const answer = await call(publishStatusHandler(ex.deps), {
      method: 'POST',
      path: '/v1/provinces/{region}/status-segments',
      pathParameters: { region: ZJ },
      headers: { 'content-type': 'application/jose' },
      body: batch,
    });
    expect(answer.statusCode).toBe(200);
    expect(objects.some((o) => o.key.startsWith('v1/status-batches/'))).toBe(false);
    fail(undefined);

    // act
    await createPublisher(ex.deps)({} as never, lambdaContext());

    // assert
    expect(objects.map((o) => o.key)).toContain(`v1/status-batches/${sha256(batch)}`);
  });
});

describe('mirroring the stored deltas', () => {
  it('puts again, on the schedule, the stored deltas a publication without the static site missed', async () => {
    // prepare: a change published by an instance with no sink (its deltas are only in the table)
    const { sink, objects } = recordingSink();
    const time = clock();
    const table = await freshTable();
    const ex = await testExchange(db.client, table, time, { trustListSink: sink });
    const zj = await testKey();
    expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
    const from = (await ex.deps.repository.lastEntry())!.seq;
    const bare = createExchangeDeps({
      client: db.client,
      tableName: table,
      signer: ex.fed.signer,
      federationId: FEDERATION,
      now: time.now,
    });
    expect((await exchangeRoutes(bare).suspend(ZJ)).statusCode).toBe(200);
    const stored = await ex.deps.trustLists.delta(from);
    expect(objects.filter((o) => o.key === `v1/trust-list/deltas/${from}`).map(unzipped)).not.toContain(
      stored,
    );

    // act: the scheduled run, in the same window (nothing to sign)
    const outcome = await createPublisher(ex.deps)({} as never, lambdaContext());

    // assert: the static copy of the delta from the old head is now the stored one (to the suspension)
    expect(outcome.deltas).toBe(0);
    const mirrored = objects.filter((o) => o.key === `v1/trust-list/deltas/${from}`).map(unzipped);
    expect(mirrored.at(-1)).toBe(stored);
  });
});
