/**
 * Sync against a scripted exchange serving lists signed here with a local federation key: first
 * full sync, exchange down, refused deltas falling back to a full resync, rollback and fork of the
 * full list refused, signatures by another key refused, the download cap, and concurrent writers.
 */
import { randomBytes } from 'node:crypto';
import { LIMITS, TRUST_LIST_PROFILE } from '../../functions/core/profiles';
import type { TrustList, TrustListDelta } from '../../functions/core/schemas/types.gen';
import type { Signer } from '../../functions/core/signer';
import { PROVINCE_TABLE } from '../../functions/core/storage/tables';
import { federationKeys } from '../../functions/core/trustlist/trust-list';
import { DynamoProvinceRepository } from '../../functions/province/dynamo-repository';
import { createExchangeClient } from '../../functions/province/exchange-client';
import { auditReplica } from '../../functions/province/replica-audit';
import { syncOnce, type SyncDeps } from '../../functions/province/sync';
import { encodeB64url } from '../../functions/core/b64';
import { buildSnapshot } from '../../functions/core/registry';
import type { SignedRequestPayload, StatusPublishRequest } from '../../functions/core/schemas/types.gen';
import { signRequest } from '../../functions/core/signed-request';
import { segmentContent, segmentPatch, sha256 } from '../../functions/core/status/batch';
import { resolveStoredSegments, type StoredSegment } from '../../functions/core/status/stored';
import { SEGMENT_BITS, SegmentSet, encodeSegment, packSegment } from '../../functions/core/status/segment';
import { loadSegments, RegistryCache } from '../../functions/province/registry-cache';
import { create as createRegistry } from '../../functions/province/handlers/registry';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import type { TrustListRejected } from '../../functions/core/errors';
import { dynaliteTables, NOW, unverifiedCodeRevocation, type DynaliteTables } from '../kit';
import {
  call,
  clock,
  fakeExchange,
  federationKey,
  FEDERATION,
  GD,
  listOf,
  localSigner,
  provinceDeps,
  signDeltaJws,
  signList,
  ZJ,
} from './fixtures';

let db: DynaliteTables;
let fed: Awaited<ReturnType<typeof federationKey>>;
let provinces: { region: string; signer: Signer }[];
let tableCounter = 0;

beforeAll(async () => {
  db = await dynaliteTables([PROVINCE_TABLE]);
  fed = await federationKey();
  provinces = [
    { region: ZJ, signer: await localSigner() },
    { region: GD, signer: await localSigner() },
  ];
});
afterAll(() => db.close());

/** A fresh table per test, so replicas do not leak between tests. */
async function freshRepository(): Promise<DynamoProvinceRepository> {
  const { createTable } = await import('../../functions/aws/dynamodb');
  const name = `sync-${process.pid}-${++tableCounter}`;
  await createTable(db.client, PROVINCE_TABLE, name);
  return new DynamoProvinceRepository(db.client, name);
}

function node(
  repository: DynamoProvinceRepository,
  answer: Parameters<typeof fakeExchange>[0],
  time = clock(NOW),
  maxBytes?: number,
) {
  const exchange = fakeExchange(answer);
  const deps: SyncDeps = {
    repository,
    exchange: createExchangeClient({
      baseUrl: 'http://exchange.test',
      fetch: exchange.fetch,
      ...(maxBytes ? { maxBytes } : {}),
    }),
    federationKeys: federationKeys(fed.jwks),
    now: time.now,
  };
  return { deps, exchange, time };
}

const list = (over: Partial<TrustList> = {}) => listOf(provinces, { now: NOW, ...over });

function delta(over: Partial<TrustListDelta>): TrustListDelta {
  return {
    federation: FEDERATION,
    fromVersion: 5,
    version: 6,
    issuedAt: NOW,
    expiresAt: NOW + 86_400,
    logHead: 'C'.repeat(43),
    entries: [],
    ...over,
  };
}

describe('syncOnce', () => {
  it('does a full sync when there is no replica, and records the result', async () => {
    const repository = await freshRepository();
    const jws = await signList(fed.signer, list({ version: 5 }));
    const { deps, exchange } = node(repository, () => ({ status: 200, body: jws }));
    const outcome = await syncOnce(deps);
    expect(outcome).toMatchObject({ result: 'updated', mode: 'full', version: 5 });
    expect(exchange.gets).toEqual([undefined]);
    const replica = await repository.getReplica();
    expect(replica?.list.version).toBe(5);
    expect(replica?.evidence).toMatchObject({ base: jws, deltas: [] });
    expect(await repository.getSyncStatus()).toMatchObject({
      lastResult: 'updated',
      lastSyncAt: NOW,
      lastSuccessAt: NOW,
    });
  });

  it('asks for a delta since its version once it has a replica', async () => {
    const repository = await freshRepository();
    await repository.putReplica(list({ version: 5 }), { base: 'x', baseAcceptedAt: NOW, deltas: [] }, NOW);
    const d = await signDeltaJws(
      fed.signer,
      delta({ version: 5, fromVersion: 5, logHead: 'A'.repeat(43), issuedAt: NOW + 60 }),
    );
    const { deps, exchange } = node(repository, (since) =>
      since === 5 ? { status: 200, body: d } : { status: 500, body: '' },
    );
    const outcome = await syncOnce(deps);
    expect(exchange.gets).toEqual([5]);
    expect(outcome).toMatchObject({ mode: 'delta', version: 5 });
    expect(outcome.result).not.toBe('failed');
  });

  it('keeps the last good replica and records the failure when the exchange is down', async () => {
    const repository = await freshRepository();
    const jws = await signList(fed.signer, list({ version: 5 }));
    const up = node(repository, () => ({ status: 200, body: jws }));
    await syncOnce(up.deps);
    const time = clock(NOW + 120);
    const down = node(repository, () => 'down', time);
    const outcome = await syncOnce(down.deps);
    expect(outcome).toMatchObject({ result: 'failed', error: 'EXCHANGE_UNAVAILABLE', version: 5 });
    expect((await repository.getReplica())?.list.version).toBe(5);
    expect(await repository.getSyncStatus()).toMatchObject({
      lastResult: 'failed',
      lastError: 'EXCHANGE_UNAVAILABLE',
      lastSyncAt: NOW + 120,
      lastSuccessAt: NOW,
    });
  });

  it('records EXCHANGE_UNAVAILABLE, without a request, while no exchange URL is configured', async () => {
    // prepare: a node deployed before the operator handed out exchange.url (EXCHANGE_URL is empty)
    const repository = await freshRepository();
    const { deps, exchange } = node(repository, () => ({ status: 200, body: '' }));
    const unconfigured: SyncDeps = {
      ...deps,
      exchange: createExchangeClient({ baseUrl: '', fetch: exchange.fetch }),
    };

    // act
    const outcome = await syncOnce(unconfigured);

    // assert
    expect(outcome).toMatchObject({ result: 'failed', error: 'EXCHANGE_UNAVAILABLE' });
    expect(exchange.gets).toEqual([]);
    expect(await repository.getSyncStatus()).toMatchObject({
      lastResult: 'failed',
      lastError: 'EXCHANGE_UNAVAILABLE',
    });
  });

  it('falls back to a full resync when the delta does not continue from its version (gap)', async () => {
    const repository = await freshRepository();
    await repository.putReplica(list({ version: 5 }), { base: 'x', baseAcceptedAt: NOW, deltas: [] }, NOW);
    const gap = await signDeltaJws(fed.signer, delta({ fromVersion: 3, version: 9 }));
    const full = await signList(fed.signer, list({ version: 9, logHead: 'D'.repeat(43) }));
    const { deps, exchange } = node(repository, (since) =>
      since === undefined ? { status: 200, body: full } : { status: 200, body: gap },
    );
    const outcome = await syncOnce(deps);
    expect(outcome).toMatchObject({ result: 'updated', mode: 'full', version: 9, fellBack: true });
    expect(exchange.gets).toEqual([5, undefined]);
    expect((await repository.getReplica())?.evidence.base).toBe(full);
  });

  it('falls back to a full resync when the delta goes back in time (rollback)', async () => {
    const repository = await freshRepository();
    await repository.putReplica(list({ version: 5 }), { base: 'x', baseAcceptedAt: NOW, deltas: [] }, NOW);
    const back = await signDeltaJws(fed.signer, delta({ fromVersion: 5, version: 4 }));
    const full = await signList(fed.signer, list({ version: 6, logHead: 'E'.repeat(43) }));
    const { deps } = node(repository, (since) =>
      since === undefined ? { status: 200, body: full } : { status: 200, body: back },
    );
    expect(await syncOnce(deps)).toMatchObject({
      result: 'updated',
      mode: 'full',
      version: 6,
      fellBack: true,
    });
  });

  it('falls back to a full resync when the exchange cannot serve the delta', async () => {
    const repository = await freshRepository();
    await repository.putReplica(list({ version: 5 }), { base: 'x', baseAcceptedAt: NOW, deltas: [] }, NOW);
    const full = await signList(fed.signer, list({ version: 7, logHead: 'F'.repeat(43) }));
    const { deps } = node(repository, (since) =>
      since === undefined ? { status: 200, body: full } : { status: 410, body: '' },
    );
    expect(await syncOnce(deps)).toMatchObject({
      result: 'updated',
      mode: 'full',
      version: 7,
      fellBack: true,
    });
  });

  it('refuses a full list older than its replica (rollback) and keeps the replica', async () => {
    const repository = await freshRepository();
    await repository.putReplica(list({ version: 8 }), { base: 'x', baseAcceptedAt: NOW, deltas: [] }, NOW);
    const gap = await signDeltaJws(fed.signer, delta({ fromVersion: 2, version: 3 }));
    const old = await signList(fed.signer, list({ version: 3 }));
    const { deps } = node(repository, (since) =>
      since === undefined ? { status: 200, body: old } : { status: 200, body: gap },
    );
    expect(await syncOnce(deps)).toMatchObject({ result: 'failed', error: 'ROLLBACK', version: 8 });
    expect((await repository.getReplica())?.list.version).toBe(8);
  });

  it('refuses a full list of its own version with another log head (fork)', async () => {
    const repository = await freshRepository();
    await repository.putReplica(list({ version: 8 }), { base: 'x', baseAcceptedAt: NOW, deltas: [] }, NOW);
    const forked = await signList(
      fed.signer,
      list({ version: 8, logHead: 'Z'.repeat(43), issuedAt: NOW + 5 }),
    );
    const gap = await signDeltaJws(fed.signer, delta({ fromVersion: 1, version: 8 }));
    const { deps } = node(repository, (since) =>
      since === undefined ? { status: 200, body: forked } : { status: 200, body: gap },
    );
    expect(await syncOnce(deps)).toMatchObject({ result: 'failed', error: 'FORK' });
    expect((await repository.getReplica())?.list.logHead).toBe('A'.repeat(43));
  });

  it('refuses a list signed with a key that is not the configured federation key', async () => {
    const repository = await freshRepository();
    const impostor = await localSigner();
    const jws = await signList(impostor, list({ version: 50 }));
    const { deps } = node(repository, () => ({ status: 200, body: jws }));
    const outcome = await syncOnce(deps);
    expect(outcome.result).toBe('failed');
    expect(await repository.getReplica()).toBeUndefined();
  });

  it('refuses a download over the size cap before reading it all', async () => {
    const repository = await freshRepository();
    const jws = await signList(fed.signer, list({ version: 5 }));
    const { deps } = node(repository, () => ({ status: 200, body: jws }), clock(NOW), 256);
    expect(await syncOnce(deps)).toMatchObject({ result: 'failed', error: 'TOO_LARGE' });
    expect(TRUST_LIST_PROFILE.maxLength).toBe(16 * 1024 * 1024);
  });
});

describe('the replica write', () => {
  it('never lets an older concurrent sync overwrite a newer replica', async () => {
    const repository = await freshRepository();
    const evidence = { base: 'x', baseAcceptedAt: NOW, deltas: [] };
    expect((await repository.putReplica(list({ version: 7 }), evidence, NOW)).written).toBe(true);
    expect((await repository.putReplica(list({ version: 6 }), evidence, NOW)).written).toBe(false);
    // Same version: only a later issue (a refreshed expiry) replaces it.
    expect(
      (await repository.putReplica(list({ version: 7, issuedAt: NOW - 100 }), evidence, NOW)).written,
    ).toBe(false);
    expect(
      (await repository.putReplica(list({ version: 7, issuedAt: NOW + 100 }), evidence, NOW)).written,
    ).toBe(true);

    const versions = [12, 9, 15, 10, 14, 11, 13, 8];
    const results = await Promise.all(
      versions.map((v) => repository.putReplica(list({ version: v }), evidence, NOW)),
    );
    expect(results.some((r) => r.written)).toBe(true);
    const replica = await repository.getReplica();
    expect(replica?.list.version).toBe(15);
    expect(replica?.meta.version).toBe(15);
  });

  it('stores a re-issue (no entry, same content, later issuedAt) in the metadata only: the chunks stay', async () => {
    const repository = await freshRepository();
    const base = list({ version: 5 });
    const full = await signList(fed.signer, base);
    const reissues = await Promise.all(
      [60, 960].map((at) =>
        signDeltaJws(
          fed.signer,
          delta({
            version: 5,
            fromVersion: 5,
            logHead: base.logHead,
            issuedAt: NOW + at,
            expiresAt: NOW + at + 86_400,
          }),
        ),
      ),
    );
    let served = 0;
    const time = clock(NOW);
    const { deps: syncDeps } = node(
      repository,
      (since) =>
        since === undefined ? { status: 200, body: full } : { status: 200, body: reissues[served] },
      time,
    );
    await syncOnce(syncDeps);
    const written = (await repository.getReplicaMeta())!;

    for (served = 0; served < 2; served++) {
      time.set(NOW + [60, 960][served] + 1);
      expect(await syncOnce(syncDeps)).toMatchObject({ result: 'updated', mode: 'delta', version: 5 });
      const meta = (await repository.getReplicaMeta())!;
      // the same content chunks, the metadata dated anew
      expect([meta.generation, meta.chunks, meta.digest]).toEqual([
        written.generation,
        written.chunks,
        written.digest,
      ]);
      expect(meta.issuedAt).toBe(NOW + [60, 960][served]);
      const replica = (await repository.getReplica())!;
      expect([replica.list.issuedAt, replica.list.expiresAt]).toEqual([
        NOW + [60, 960][served],
        NOW + [60, 960][served] + 86_400,
      ]);
      // the evidence ends with the latest re-issue only
      expect(replica.evidence.deltas.map((d) => d.jws)).toEqual([reissues[served]]);
      expect(await auditReplica(replica, federationKeys(fed.jwks))).toMatchObject({
        result: 'consistent',
        version: 5,
      });
    }
  });

  it('stores a list larger than one item in chunks and reads it back intact', async () => {
    const repository = await freshRepository();
    const revocations = Array.from({ length: 30_000 }, () =>
      unverifiedCodeRevocation(ZJ, randomBytes(16).toString('base64url'), NOW + 86_400),
    );
    const big = list({ version: 20, codeRevocations: revocations });
    const { written, meta } = await repository.putReplica(
      big,
      { base: 'x', baseAcceptedAt: NOW, deltas: [] },
      NOW,
    );
    expect(written).toBe(true);
    expect(meta!.chunks).toBeGreaterThan(1);
    const back = await repository.getReplica();
    expect(back?.list.codeRevocations).toHaveLength(30_000);
  });
});

describe('auditReplica', () => {
  it('re-derives a synced replica (full list, then a delta) from its evidence', async () => {
    // prepare
    const repository = await freshRepository();
    const base = list({ version: 5 });
    const full = await signList(fed.signer, base);
    const d = await signDeltaJws(
      fed.signer,
      delta({ version: 5, fromVersion: 5, logHead: base.logHead, issuedAt: NOW + 60 }),
    );
    const { deps } = node(repository, (since) =>
      since === undefined ? { status: 200, body: full } : { status: 200, body: d },
    );
    await syncOnce(deps);
    await syncOnce(deps);
    const replica = await repository.getReplica();

    // act
    const audit = await auditReplica(replica, federationKeys(fed.jwks));

    // assert
    expect(replica?.evidence.deltas).toHaveLength(1);
    expect(audit).toEqual({ result: 'consistent', version: 5, deltas: 1 });
  });

  it('says which piece of evidence no longer verifies, and that there is nothing to audit without a replica', async () => {
    // prepare: the replica above with its delta signed by a key that is not the federation's
    const repository = await freshRepository();
    const base = list({ version: 5 });
    const full = await signList(fed.signer, base);
    const payload = delta({ version: 5, fromVersion: 5, logHead: base.logHead, issuedAt: NOW + 60 });
    const d = await signDeltaJws(fed.signer, payload);
    const { deps } = node(repository, (since) =>
      since === undefined ? { status: 200, body: full } : { status: 200, body: d },
    );
    await syncOnce(deps);
    await syncOnce(deps);
    const replica = (await repository.getReplica())!;
    const forged = await signDeltaJws(await localSigner(), payload);
    const tampered = {
      ...replica,
      evidence: {
        ...replica.evidence,
        deltas: [{ jws: forged, acceptedAt: replica.evidence.deltas[0].acceptedAt }],
      },
    };

    // act
    const audit = await auditReplica(tampered, federationKeys(fed.jwks));
    const none = await auditReplica(undefined, federationKeys(fed.jwks));

    // assert
    expect(audit).toMatchObject({ result: 'inconsistent', version: 5, deltas: 1, at: 'delta 1' });
    expect(audit.reason).toBe('UNKNOWN_KEY');
    expect(none).toEqual({ result: 'none', version: null, deltas: 0 });
  });
});

describe('status segment patches at sync', () => {
  const SEG = 2;
  const segmentSet = (offsets: number[]) => SegmentSet.fromSorted(Uint32Array.from(offsets));
  const digestOf = (offsets: number[]) => sha256(encodeSegment(segmentSet(offsets)));
  const publication = async (segments: StatusPublishRequest['segments']) => {
    const jws = await signRequest(provinces[0].signer, {
      aud: FEDERATION,
      iat: NOW,
      jti: encodeB64url(randomBytes(16)),
      region: ZJ,
      op: 'status.publish',
      segments,
    } as SignedRequestPayload);
    return { jws, hash: sha256(jws) };
  };
  const row = (rev: number, count: number, digest: string, batch: string, depth?: number) => ({
    region: ZJ,
    segment: SEG,
    rev,
    exp: NOW + 86_400,
    count,
    digest,
    batch,
    ...(depth ? { depth } : {}),
  });

  /** A node whose exchange serves `current()` as the full list (no deltas) and the batches in `batches`. */
  function patchNode(
    repository: DynamoProvinceRepository,
    current: () => string,
    batches: Map<string, string>,
  ) {
    const fetched: string[] = [];
    const fetchImpl = async (url: string) => {
      const u = new URL(url);
      if (u.pathname === '/v1/trust-list') {
        return u.searchParams.has('since')
          ? new Response('{"code":"DELTA_UNAVAILABLE"}', {
              status: 404,
              headers: { 'content-type': 'application/problem+json' },
            })
          : new Response(current(), { status: 200, headers: { 'content-type': 'application/jose' } });
      }
      const hash = u.pathname.split('/').pop() as string;
      fetched.push(hash);
      const text = batches.get(hash);
      return new Response(text ?? '', {
        status: text ? 200 : 404,
        headers: { 'content-type': 'application/jose' },
      });
    };
    const deps: SyncDeps = {
      repository,
      exchange: createExchangeClient({ baseUrl: 'http://exchange.test', fetch: fetchImpl }),
      federationKeys: federationKeys(fed.jwks),
      now: clock(NOW).now,
    };
    return { deps, fetched };
  }

  it('applies a patch to the content it holds, and refuses a tampered one (BATCH_MISMATCH) keeping its replica', async () => {
    // prepare: a node in sync with the full revision 1 of the segment
    const repository = await freshRepository();
    const full = await publication([segmentContent(SEG, 1, NOW + 86_400, segmentSet([10, 20]))]);
    const on = { rev: 1, digest: digestOf([10, 20]), batch: full.hash };
    const honest = segmentPatch(SEG, 2, NOW + 86_400, segmentSet([10, 20, 30]), on, Uint32Array.of(30));
    // signed by the province, committed by hash: but it claims content {10, 20, 30, 31}
    const lying = await publication([{ ...honest, count: 4, digest: digestOf([10, 20, 30, 31]) }]);
    const good = await publication([honest]);
    const batches = new Map([full, lying, good].map((b) => [b.hash, b.jws]));
    let current = await signList(
      fed.signer,
      list({ version: 4, statusSegments: [row(1, 2, on.digest, full.hash)] }),
    );
    const { deps, fetched } = patchNode(repository, () => current, batches);
    expect(await syncOnce(deps)).toMatchObject({ result: 'updated', version: 4 });

    // act: a list naming the tampered patch
    current = await signList(
      fed.signer,
      list({ version: 5, statusSegments: [row(2, 4, digestOf([10, 20, 30, 31]), lying.hash, 1)] }),
    );
    fetched.length = 0;
    const refused = await syncOnce(deps);

    // assert: refused, only the patch fetched (the base is held), the replica and its content kept
    expect(refused).toMatchObject({ result: 'failed', error: 'BATCH_MISMATCH' });
    expect(fetched).toEqual([lying.hash]);
    const replica = await repository.getReplica();
    expect(replica?.list.version).toBe(4);
    const snapshot = await buildSnapshot(
      replica!.list,
      await loadSegments(repository, replica!.list, new Map()),
    );
    expect(snapshot.status.isRevoked(ZJ, SEG * SEGMENT_BITS + 20)).toBe(true);
    expect((await repository.getSegmentItems([digestOf([10, 20, 30, 31])])).size).toBe(0);

    // act: the honest patch
    current = await signList(
      fed.signer,
      list({ version: 6, statusSegments: [row(2, 3, honest.digest, good.hash, 1)] }),
    );
    fetched.length = 0;
    expect(await syncOnce(deps)).toMatchObject({ result: 'updated', version: 6 });

    // assert: only the patch fetched, the revision stored as a patch item on the held base (not
    // whole), and the content the stored chain gives is the listed one
    expect(fetched).toEqual([good.hash]);
    const stored = await repository.getSegmentItems([honest.digest]);
    expect(stored.get(honest.digest)).toEqual({
      kind: 'patch',
      base: on.digest,
      add: honest.add,
      count: 3,
      depth: 1,
      ttl: expect.any(Number),
    });
    const { sets } = await resolveStoredSegments([honest.digest], (d) => repository.getSegmentItems(d));
    expect([...(sets.get(honest.digest) as SegmentSet).offsets()]).toEqual([10, 20, 30]);
  });

  it('stores a chain of patch items, a cold load across it gives the whole content, and a missing or tampered link leaves the segment unheld (SEGMENT_MISSING) while the previous snapshot serves', async () => {
    // prepare: revision 1 whole {1}, then patches adding 2, 3 and 4, each in its own batch
    const { createTable } = await import('../../functions/aws/dynamodb');
    const tableName = `sync-${process.pid}-${++tableCounter}`;
    await createTable(db.client, PROVINCE_TABLE, tableName);
    const repository = new DynamoProvinceRepository(db.client, tableName);
    const full = await publication([segmentContent(SEG, 1, NOW + 86_400, segmentSet([1]))]);
    const batches = new Map([[full.hash, full.jws]]);
    const revisions = [{ offsets: [1], digest: digestOf([1]), batch: full.hash }];
    for (const added of [2, 3, 4]) {
      const prev = revisions[revisions.length - 1];
      const rev = revisions.length;
      const on = { rev, digest: prev.digest, batch: prev.batch };
      const offsets = [...prev.offsets, added];
      const p = await publication([
        segmentPatch(SEG, rev + 1, NOW + 86_400, segmentSet(offsets), on, Uint32Array.of(added)),
      ]);
      batches.set(p.hash, p.jws);
      revisions.push({ offsets, digest: digestOf(offsets), batch: p.hash });
    }
    const listAt = (rev: number) =>
      list({
        version: 10 + rev,
        statusSegments: [
          row(rev, rev, revisions[rev - 1].digest, revisions[rev - 1].batch, rev > 1 ? rev - 1 : undefined),
        ],
      });
    let current = '';
    const { deps } = patchNode(repository, () => current, batches);
    const cache = new RegistryCache(repository, { checkEveryMs: 60_000, clock: () => 0 });
    for (const rev of [1, 2, 3]) {
      current = await signList(fed.signer, listAt(rev));
      expect(await syncOnce(deps)).toMatchObject({ result: 'updated', version: 10 + rev });
    }

    // assert: one whole item, then patch items of depth 1 and 2 holding only the added offset
    const items = await repository.getSegmentItems(revisions.map((r) => r.digest));
    expect(items.get(revisions[0].digest)?.kind).toBe('whole');
    for (const rev of [2, 3]) {
      const item = items.get(revisions[rev - 1].digest);
      expect(item).toMatchObject({
        kind: 'patch',
        base: revisions[rev - 2].digest,
        count: rev,
        depth: rev - 1,
      });
      expect(item).not.toHaveProperty('bits');
      expect(JSON.stringify(item).length).toBeLessThan(200);
    }
    // a cold load across the chain gives the lookups of the whole content
    const replica = (await repository.getReplica())!;
    const chained = await buildSnapshot(
      replica.list,
      await loadSegments(repository, replica.list, new Map()),
    );
    const whole = await buildSnapshot(replica.list, () => segmentSet([1, 2, 3]));
    for (let o = 0; o < 8; o++) {
      const si = SEG * SEGMENT_BITS + o;
      expect(chained.status.isRevoked(ZJ, si)).toBe(whole.status.isRevoked(ZJ, si));
    }
    expect(chained.status.isRevoked(ZJ, SEG * SEGMENT_BITS + 3)).toBe(true);
    const serving = await cache.snapshot();
    expect(serving.version).toBe(13);

    // act: revision 4 taken as a patch, then its base's item tampered (another offset added)
    current = await signList(fed.signer, listAt(4));
    expect(await syncOnce(deps)).toMatchObject({ result: 'updated', version: 14 });
    const rev3 = items.get(revisions[2].digest) as Extract<StoredSegment, { kind: 'patch' }>;
    await repository.putSegmentItem(revisions[2].digest, {
      ...rev3,
      add: packSegment(encodeSegment(segmentSet([5]))),
    });
    const tampered = (await repository.getReplica())!.list;
    const refusal = async () =>
      buildSnapshot(tampered, await loadSegments(repository, tampered, new Map())).then(
        () => 'built',
        (e: TrustListRejected) => e.reason,
      );

    // assert: the segment is unheld on a cold load (never a set other than the listed one)
    expect(await refusal()).toBe('SEGMENT_MISSING');
    // the cache holds revision 3 checked, so it reads only revision 4's item: tampered, it keeps serving
    const rev4 = (await repository.getSegmentItems([revisions[3].digest])).get(
      revisions[3].digest,
    ) as Extract<StoredSegment, { kind: 'patch' }>;
    expect(rev4).toMatchObject({ kind: 'patch', depth: 3 });
    await repository.putSegmentItem(revisions[3].digest, { ...rev4, count: 5 });
    cache.invalidate();
    const kept = await cache.snapshot();
    expect(kept.version).toBe(13);
    expect(kept.status.isRevoked(ZJ, SEG * SEGMENT_BITS + 3)).toBe(true);

    // act: the links put back honest, then one removed
    await repository.putSegmentItem(revisions[2].digest, rev3);
    await repository.putSegmentItem(revisions[3].digest, rev4);
    expect(await refusal()).toBe('built');
    const remove = (digest: string) =>
      db.client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: { pk: { S: `SEGMENT#${digest}` }, sk: { S: 'SEGMENT' } },
        }),
      );
    await remove(revisions[1].digest);

    // assert: a missing link leaves the segment unheld too, and the cache keeps serving without it
    expect(await refusal()).toBe('SEGMENT_MISSING');
    await remove(revisions[3].digest);
    cache.invalidate();
    expect((await cache.snapshot()).version).toBe(13);
  });

  it('reads only the new items and the bases their patches need at a sync with changes; a held item deleted behind its back is reported (SEGMENT_MISSING in GET /v1/registry) and healed by the next sync', async () => {
    // prepare: four segments of ZJ, each whole at revision 1 in one batch, counted per read
    const repository = await freshRepository();
    const asked: string[][] = [];
    const counted = Object.assign(Object.create(repository) as DynamoProvinceRepository, {
      getSegmentItems: (digests: readonly string[]) => {
        asked.push([...digests]);
        return repository.getSegmentItems(digests);
      },
    });
    const units = { read: 0 };
    db.client.middlewareStack.add(
      (next, context) => async (args) => {
        (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
        const out = await next(args);
        const consumed = (out.output as { ConsumedCapacity?: { CapacityUnits?: number }[] }).ConsumedCapacity;
        if (context.commandName === 'BatchGetItemCommand') {
          for (const c of consumed ?? []) units.read += c.CapacityUnits ?? 0;
        }
        return out;
      },
      { step: 'initialize', name: 'countSegmentReads' },
    );
    try {
      const segs = [2, 3, 4, 5];
      const exp = NOW + 86_400;
      const full = await publication(segs.map((g) => segmentContent(g, 1, exp, segmentSet([g]))));
      const rowOf = (g: number, rev: number, offsets: number[], batch: string, e = exp, depth?: number) => ({
        ...row(rev, offsets.length, digestOf(offsets), batch, depth),
        segment: g,
        exp: e,
      });
      const batches = new Map([[full.hash, full.jws]]);
      let rows = segs.map((g) => rowOf(g, 1, [g], full.hash));
      let current = await signList(fed.signer, list({ version: 20, statusSegments: rows }));
      const { deps, fetched } = patchNode(counted, () => current, batches);
      const province = provinceDeps({
        region: ZJ,
        repository: counted,
        exchange: deps.exchange,
        federationJwks: fed.jwks,
        now: deps.now,
      });
      expect(await syncOnce(deps)).toMatchObject({ result: 'updated', version: 20 });
      // the first sync has nothing committed: it reads every listed item
      expect(asked.flat().sort()).toEqual(segs.map((g) => digestOf([g])).sort());

      // act: segment 2 takes a patch, segment 4 a revision that only raises its expiry (same content)
      const on = { rev: 1, digest: digestOf([2]), batch: full.hash };
      const patch = await publication([segmentPatch(2, 2, exp, segmentSet([2, 9]), on, Uint32Array.of(9))]);
      const raised = await publication([segmentContent(4, 2, exp + 86_400, segmentSet([4]))]);
      for (const b of [patch, raised]) batches.set(b.hash, b.jws);
      rows = [
        rowOf(2, 2, [2, 9], patch.hash, exp, 1),
        rows[1],
        rowOf(4, 2, [4], raised.hash, exp + 86_400),
        rows[3],
      ];
      current = await signList(fed.signer, list({ version: 21, statusSegments: rows }));
      asked.length = 0;
      fetched.length = 0;
      units.read = 0;
      expect(await syncOnce(deps)).toMatchObject({ result: 'updated', version: 21 });
      const changeUnits = units.read;

      // assert: read the new digest and the raised row (not taken as held: a later exp), then the
      // patch's base; segments 3 and 5 are taken as held (listed by the committed replica); only
      // the patch's batch fetched (segment 4 is held); segment 4's item kept until its new expiry
      expect(asked).toEqual([[digestOf([2, 9]), digestOf([4])], [digestOf([2])]]);
      expect(fetched).toEqual([patch.hash]);
      const four = (await repository.getSegmentItems([digestOf([4])])).get(digestOf([4]));
      expect(four).toMatchObject({ kind: 'whole', ttl: exp + 86_400 + LIMITS.clockSkew + 86_400 });

      // act: segment 3's item deleted behind the node's back, then segment 5 takes a patch
      await db.client.send(
        new DeleteItemCommand({
          TableName: (repository as unknown as { tableName: string }).tableName,
          Key: { pk: { S: `SEGMENT#${digestOf([3])}` }, sk: { S: 'SEGMENT' } },
        }),
      );
      const on5 = { rev: 1, digest: digestOf([5]), batch: full.hash };
      const patch5 = await publication([segmentPatch(5, 2, exp, segmentSet([5, 7]), on5, Uint32Array.of(7))]);
      batches.set(patch5.hash, patch5.jws);
      rows = [rows[0], rows[1], rows[2], rowOf(5, 2, [5, 7], patch5.hash, exp, 1)];
      current = await signList(fed.signer, list({ version: 22, statusSegments: rows }));
      asked.length = 0;
      expect(await syncOnce(deps)).toMatchObject({ result: 'updated', version: 22 });
      // the sync does not read segment 3 (taken as held): a verifier finds it missing
      expect(asked.flat()).not.toContain(digestOf([3]));
      const refused = await province.registry.snapshot().then(
        () => 'built',
        (e: TrustListRejected) => e.reason,
      );
      expect(refused).toBe('SEGMENT_MISSING');
      const reported = await call(createRegistry(province), { method: 'GET', path: '/v1/registry' });
      expect(reported.statusCode).toBe(200);
      expect(reported.json()).toMatchObject({
        version: 22,
        segmentCheck: { error: 'SEGMENT_MISSING', unheld: 1, since: expect.any(String) },
      });

      // act: the next sync (nothing new at the exchange)
      asked.length = 0;
      fetched.length = 0;
      units.read = 0;
      const repair = await syncOnce(deps);
      const checkUnits = units.read;

      // assert: every listed item read, segment 3 fetched again and healed, the check cleared;
      // the verifier builds the list and answers from segment 3 again
      expect(repair).toMatchObject({ repaired: 1, version: 22 });
      expect(repair.result).not.toBe('failed');
      expect(asked[0].sort()).toEqual(rows.map((r) => r.digest).sort());
      expect(fetched).toEqual([full.hash]);
      expect(changeUnits).toBeLessThan(checkUnits);
      const healed = await call(createRegistry(province), { method: 'GET', path: '/v1/registry' });
      expect(healed.json()).not.toHaveProperty('segmentCheck');
      province.registry.invalidate();
      const snapshot = await province.registry.snapshot();
      expect(snapshot.version).toBe(22);
      expect(snapshot.status.isRevoked(ZJ, 3 * SEGMENT_BITS + 3)).toBe(true);
      expect(snapshot.status.isRevoked(ZJ, 3 * SEGMENT_BITS + 4)).toBe(false);
      expect(snapshot.status.isRevoked(ZJ, 5 * SEGMENT_BITS + 7)).toBe(true);
    } finally {
      db.client.middlewareStack.remove('countSegmentReads');
    }
  });

  it('fails the sync (EXCHANGE_REFUSED) and commits no replica when a batch of the chain is not served', async () => {
    const repository = await freshRepository();
    const full = await publication([segmentContent(SEG, 1, NOW + 86_400, segmentSet([1]))]);
    const on = { rev: 1, digest: digestOf([1]), batch: full.hash };
    const patch = await publication([
      segmentPatch(SEG, 2, NOW + 86_400, segmentSet([1, 2]), on, Uint32Array.of(2)),
    ]);
    const current = await signList(
      fed.signer,
      list({ version: 5, statusSegments: [row(2, 2, digestOf([1, 2]), patch.hash, 1)] }),
    );
    const { deps, fetched } = patchNode(repository, () => current, new Map([[patch.hash, patch.jws]]));
    const outcome = await syncOnce(deps);
    expect(outcome).toMatchObject({ result: 'failed', error: 'EXCHANGE_REFUSED' });
    expect(fetched).toEqual([patch.hash, full.hash]);
    expect(await repository.getReplica()).toBeUndefined();
  });
});
