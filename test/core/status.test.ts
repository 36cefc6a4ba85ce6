/** Status segments: canonical encoding, batches committed by hash, the fold, and verification by `si`. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { issueCode } from '../../functions/core/code/issue';
import { verifyCode } from '../../functions/core/code/verify';
import { TrustListRejected } from '../../functions/core/errors';
import { buildSnapshot } from '../../functions/core/registry';
import type { LogEntry, StatusPublishRequest, TrustList } from '../../functions/core/schemas/types.gen';
import { signRequest } from '../../functions/core/signed-request';
import { MAX_PATCH_CHAIN } from '../../functions/core/rules';
import {
  applySegmentPatch,
  chainBatches,
  openBatch,
  readSegmentBits,
  resolveSegment,
  segmentContent,
  segmentPatch,
  segmentsFromBatches,
  sha256,
  type BatchFull,
  type BatchPatch,
} from '../../functions/core/status/batch';
import { StatusIndex } from '../../functions/core/status/status-index';
import {
  MAX_STATUS_INDEX,
  SEGMENT_BITMAP_BYTES,
  SEGMENT_BITS,
  SegmentInvalid,
  SegmentSet,
  decodeSegment,
  encodeSegment,
  groupBySegment,
  mergeSorted,
} from '../../functions/core/status/segment';
import { makeEntry } from '../../functions/core/trustlist/log';
import { applyEntries, emptyTrustList, pruneExpiredRevocations } from '../../functions/core/trustlist/state';
import { thrown } from '../kit';
import { DAY, NOW, ZJ, issueRequest, province, trustList } from './fixtures';

const set = (offsets: number[]) =>
  SegmentSet.fromSorted(Uint32Array.from([...new Set(offsets)].sort((a, b) => a - b)));

describe('segment encoding', () => {
  it('round-trips any set through its one canonical raw form (sparse and dense)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: SEGMENT_BITS - 1 }), { maxLength: 400 }), (xs) => {
        const s = set(xs);
        const raw = encodeSegment(s);
        const back = decodeSegment(raw);
        expect([...back.offsets()]).toEqual([...s.offsets()]);
        expect(Buffer.from(encodeSegment(back)).equals(Buffer.from(raw))).toBe(true);
      }),
      { numRuns: 50 },
    );
    const dense = set(Array.from({ length: 600_000 }, (_, i) => i * 1 + (i % 3)));
    const raw = encodeSegment(dense);
    expect(raw[0]).toBe(1); // bitmap form: 128 KiB + tag, whatever the count
    expect(raw.length).toBe(SEGMENT_BITMAP_BYTES + 1);
    expect(decodeSegment(raw).count).toBe(dense.count);
  });

  it('costs about a byte per revoked code when sparse, and answers lookups exactly', () => {
    const offsets = Array.from({ length: 10_000 }, (_, i) => i * 100 + 7);
    const s = set(offsets);
    expect(encodeSegment(s).length).toBeLessThanOrEqual(1 + 10_000);
    expect(s.has(107)).toBe(true);
    expect(s.has(108)).toBe(false);
  });

  it('refuses non-canonical or out-of-range raw forms', () => {
    const reason = (raw: number[] | Uint8Array) => thrown(() => decodeSegment(Uint8Array.from(raw)));
    expect(reason([])).toBeInstanceOf(SegmentInvalid);
    expect(reason([7, 1])).toBeInstanceOf(SegmentInvalid); // unknown tag
    expect(reason([0, 0])).toBeInstanceOf(SegmentInvalid); // a zero gap repeats an offset
    expect(reason([0, 0x81, 0x00])).toBeInstanceOf(SegmentInvalid); // over-long varint
    expect(reason([0, 0xff, 0xff, 0x7f])).toBeInstanceOf(SegmentInvalid); // beyond the segment
    const sparseAsBitmap = new Uint8Array(SEGMENT_BITMAP_BYTES + 1);
    sparseAsBitmap[0] = 1;
    sparseAsBitmap[1] = 1;
    expect(reason(sparseAsBitmap)).toBeInstanceOf(SegmentInvalid);
  });

  it('merges and groups indices by segment', () => {
    expect([...mergeSorted(Uint32Array.from([1, 3, 5]), Uint32Array.from([2, 3, 6]))]).toEqual([
      1, 2, 3, 5, 6,
    ]);
    const g = groupBySegment([SEGMENT_BITS + 5, 3, SEGMENT_BITS + 5, 1]);
    expect([...g.keys()]).toEqual([0, 1]);
    expect([...(g.get(1) as Uint32Array)]).toEqual([5]);
  });

  it('never inflates a batch segment past a segment (zip bomb)', () => {
    const bomb = deflateRawSync(Buffer.alloc(SEGMENT_BITMAP_BYTES * 4)).toString('base64url');
    expect(thrown(() => readSegmentBits(bomb))).toBeInstanceOf(SegmentInvalid);
  });
});

describe('lookups', () => {
  /** Every offset of `offsets` is found, and none of the probes that are not in it. */
  function expectExact(offsets: number[], probes: number[]) {
    const s = set(offsets);
    const truth = new Set(offsets);
    expect(s.count).toBe(truth.size);
    for (const o of offsets) expect(s.has(o)).toBe(true);
    for (const o of probes) expect(s.has(o)).toBe(truth.has(o));
    expect([...s.offsets()]).toEqual([...truth].sort((a, b) => a - b));
  }
  const edges = [0, 1, 255, 256, 511, 512, 65535, 65536, SEGMENT_BITS - 2, SEGMENT_BITS - 1];

  it('answers exactly for sets of every size, bucketed and bitmap (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: SEGMENT_BITS - 1 }), { maxLength: 3000 }),
        fc.array(fc.integer({ min: 0, max: SEGMENT_BITS - 1 }), { maxLength: 300 }),
        (xs, probes) => expectExact(xs, [...probes, ...xs.map((x) => x ^ 1), ...edges]),
      ),
      { numRuns: 60 },
    );
    // The largest bucketed set, the smallest bitmap one, and the two ends of the segment.
    for (const n of [0xffff, 0x10000]) {
      const offsets = Array.from({ length: n }, (_, i) => i * 16 + (i % 5));
      expectExact(offsets, [...edges, 17, 18, 33, 34, SEGMENT_BITS - 16]);
    }
    expectExact([0, SEGMENT_BITS - 1], edges);
  });

  it('answers exactly when every revoked offset falls into one bucket (a district)', () => {
    const clustered = Array.from({ length: 5000 }, (_, i) => 300_000 + i * 2);
    expectExact(clustered, [...edges, 299_999, 300_001, 309_998, 310_000, 309_999]);
  });

  it('finds a status index in its region and segment only, with segments near or far apart', () => {
    const index = new StatusIndex();
    index.add(ZJ, 3, set([5]));
    index.add(ZJ, 4, set([6]));
    expect(index.isRevoked(ZJ, 3 * SEGMENT_BITS + 5)).toBe(true);
    expect(index.isRevoked(ZJ, 4 * SEGMENT_BITS + 6)).toBe(true);
    expect(index.isRevoked(ZJ, 4 * SEGMENT_BITS + 5)).toBe(false);
    expect(index.isRevoked(ZJ, 5)).toBe(false); // segment 0: below the table
    expect(index.isRevoked(ZJ, 9 * SEGMENT_BITS + 5)).toBe(false); // beyond it
    expect(index.isRevoked('110000', 3 * SEGMENT_BITS + 5)).toBe(false); // another region
    // A segment added after lookups is found; one far away (no table) too, at the largest index.
    const last = Math.floor(MAX_STATUS_INDEX / SEGMENT_BITS);
    index.add(ZJ, last, set([SEGMENT_BITS - 1]));
    expect(index.isRevoked(ZJ, MAX_STATUS_INDEX)).toBe(true);
    expect(index.isRevoked(ZJ, MAX_STATUS_INDEX - 1)).toBe(false);
    expect(index.isRevoked(ZJ, 3 * SEGMENT_BITS + 5)).toBe(true);
    expect(index.isRevoked(ZJ, 1000 * SEGMENT_BITS + 5)).toBe(false);
    expect(index.stats()).toMatchObject({ revoked: 3, segments: 3 });
  });
});

async function batchOf(segments: StatusPublishRequest['segments']) {
  const p = await province(ZJ);
  const jws = await signRequest(p.signer, {
    aud: 'hcx-test',
    iat: NOW,
    jti: 'n'.repeat(22),
    region: ZJ,
    op: 'status.publish',
    segments,
  });
  return { p, jws, hash: sha256(jws) };
}

describe('status batches', () => {
  it('opens a batch only under its committed hash, and checks the province signature when asked', async () => {
    const { p, jws, hash } = await batchOf([segmentContent(3, 1, NOW + DAY, set([1, 2, 99]))]);
    const opened = openBatch(jws, hash, { alg: p.key.alg, jwk: p.key.publicJwk });
    expect((opened.segments.get(3) as BatchFull).set.has(99)).toBe(true);
    expect((thrown(() => openBatch(jws, sha256('other'))) as TrustListRejected).reason).toBe(
      'BATCH_MISMATCH',
    );
    const other = await province(ZJ);
    expect(
      (
        thrown(() =>
          openBatch(jws, hash, { alg: other.key.alg, jwk: other.key.publicJwk }),
        ) as TrustListRejected
      ).reason,
    ).toBe('SIGNATURE_INVALID');
  });

  it('refuses a batch whose count is not its content', async () => {
    const content = { ...segmentContent(0, 1, NOW + DAY, set([1, 2])), count: 5 };
    const { jws, hash } = await batchOf([content]);
    expect((thrown(() => openBatch(jws, hash)) as TrustListRejected).reason).toBe('MALFORMED');
  });
});

function statusEntry(
  prev: LogEntry | undefined,
  seq: number,
  segment: number,
  rev: number,
  exp: number,
): LogEntry {
  return makeEntry(prev, {
    seq,
    at: NOW,
    type: 'status.published',
    region: ZJ,
    data: { batch: 'B'.repeat(43), segments: [{ segment, rev, exp, count: 1, digest: 'D'.repeat(43) }] },
  });
}

describe('the fold of status publications', () => {
  const registered = makeEntry(undefined, {
    seq: 1,
    at: NOW,
    type: 'province.registered',
    region: ZJ,
    data: {
      name: '浙江省',
      enrollmentKey: { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43), kid: 'zj-enrollment' } as never,
    },
  });

  it('keeps one row per segment, the latest revision, sorted, and drops it once expired', () => {
    const e2 = statusEntry(registered, 2, 5, 1, NOW + DAY);
    const e3 = statusEntry(e2, 3, 2, 1, NOW + 2 * DAY);
    const e4 = statusEntry(e3, 4, 5, 2, NOW + DAY);
    const list = applyEntries(emptyTrustList('hcx-test'), [registered, e2, e3, e4]);
    expect(list.statusSegments?.map((s) => [s.segment, s.rev])).toEqual([
      [2, 1],
      [5, 2],
    ]);
    const later = pruneExpiredRevocations(list, NOW + DAY + 301);
    expect(later.statusSegments?.map((s) => s.segment)).toEqual([2]);
    expect(pruneExpiredRevocations(list, NOW + 3 * DAY).statusSegments).toBeUndefined();
  });

  it('refuses a publication that does not move a segment forward (INVALID_ENTRY)', () => {
    const e2 = statusEntry(registered, 2, 5, 2, NOW + DAY);
    const e3 = statusEntry(e2, 3, 5, 2, NOW + DAY);
    const e = thrown(() => applyEntries(emptyTrustList('hcx-test'), [registered, e2, e3]));
    expect((e as TrustListRejected).reason).toBe('INVALID_ENTRY');
  });
});

describe('verification by status index', () => {
  it('answers CODE_REVOKED for a revoked index and valid for its neighbour', async () => {
    const p = await province(ZJ);
    const si = 3 * SEGMENT_BITS + 42;
    const revoked = await issueCode(p.signer, issueRequest(), { issuer: ZJ, now: NOW - 60, statusIndex: si });
    const fine = await issueCode(p.signer, issueRequest(), {
      issuer: ZJ,
      now: NOW - 60,
      statusIndex: si + 1,
    });
    const legacy = await issueCode(p.signer, issueRequest(), { issuer: ZJ, now: NOW - 60 });
    expect(revoked.claims.si).toBe(si);
    expect(legacy.claims.si).toBeUndefined();
    const base = trustList([p]);
    const list: TrustList = {
      ...base,
      statusSegments: [
        {
          region: ZJ,
          segment: 3,
          rev: 1,
          exp: NOW + DAY,
          count: 1,
          digest: 'D'.repeat(43),
          batch: 'B'.repeat(43),
        },
      ],
    };
    const snapshot = await buildSnapshot(list, () => set([42]));
    expect((await verifyCode(revoked.code, snapshot, { now: NOW })).reasons.map((r) => r.code)).toEqual([
      'CODE_REVOKED',
    ]);
    expect((await verifyCode(fine.code, snapshot, { now: NOW })).result).toBe('valid');
    expect((await verifyCode(legacy.code, snapshot, { now: NOW })).result).toBe('valid');
  });

  it('refuses to build a snapshot without every listed segment (SEGMENT_MISSING)', async () => {
    const p = await province(ZJ);
    const list: TrustList = {
      ...trustList([p]),
      statusSegments: [
        {
          region: ZJ,
          segment: 0,
          rev: 1,
          exp: NOW + DAY,
          count: 1,
          digest: 'D'.repeat(43),
          batch: 'B'.repeat(43),
        },
      ],
    };
    const e = await buildSnapshot(list).catch((x: unknown) => x);
    expect((e as TrustListRejected).reason).toBe('SEGMENT_MISSING');
  });
});

describe('segment patches', () => {
  const SEG = 5;
  const digestOf = (s: SegmentSet) => sha256(encodeSegment(s));
  /** A chain: a full revision 1 of `first`, then one patch per entry of `adds`, each in its own batch. */
  async function chain(first: number[], adds: number[][]) {
    const texts = new Map<string, string>();
    let content = set(first);
    const full = await batchOf([segmentContent(SEG, 1, NOW + DAY, content)]);
    texts.set(full.hash, full.jws);
    let at = { rev: 1, digest: digestOf(content), batch: full.hash };
    for (const add of adds) {
      const next = content.union(Uint32Array.from(add));
      const patch = segmentPatch(SEG, at.rev + 1, NOW + DAY, next, at, Uint32Array.from(add));
      const b = await batchOf([patch]);
      texts.set(b.hash, b.jws);
      content = next;
      at = { rev: at.rev + 1, digest: patch.digest, batch: b.hash };
    }
    const row = { region: ZJ, segment: SEG, exp: NOW + DAY, count: content.count, ...at };
    return { texts, content, row, full };
  }

  it('gives the content the patch commits to, and nothing else (overlap, count, digest)', () => {
    const base = set([1, 2]);
    const next = set([1, 2, 7]);
    const on = { rev: 1, digest: digestOf(base), batch: 'B'.repeat(43) };
    const item = (p: ReturnType<typeof segmentPatch>): BatchPatch => ({
      kind: 'patch',
      ...p,
      add: readSegmentBits(p.add).set,
    });
    const good = item(segmentPatch(SEG, 2, NOW + DAY, next, on, Uint32Array.of(7)));
    expect([...(applySegmentPatch(base, good) as SegmentSet).offsets()]).toEqual([1, 2, 7]);
    // an offset the base holds already: refused, even with a count and digest that would match
    const overlap = item(segmentPatch(SEG, 2, NOW + DAY, next, on, Uint32Array.of(2, 7)));
    expect(applySegmentPatch(base, overlap)).toBeUndefined();
    expect(applySegmentPatch(base, { ...good, count: 4 })).toBeUndefined();
    expect(applySegmentPatch(base, { ...good, digest: digestOf(set([1, 2, 8])) })).toBeUndefined();
    // on another base than the one it names
    expect(applySegmentPatch(set([1, 3]), good)).toBeUndefined();
  });

  it('refuses a patch item that adds nothing or does not move its base forward (MALFORMED)', async () => {
    const on = { rev: 2, digest: digestOf(set([1])), batch: 'B'.repeat(43) };
    const backwards = segmentPatch(SEG, 2, NOW + DAY, set([1, 4]), on, Uint32Array.of(4));
    const b1 = await batchOf([backwards]);
    expect((thrown(() => openBatch(b1.jws, b1.hash)) as TrustListRejected).reason).toBe('MALFORMED');
    const empty = segmentPatch(SEG, 3, NOW + DAY, set([1]), on, Uint32Array.of());
    const b2 = await batchOf([empty]);
    expect((thrown(() => openBatch(b2.jws, b2.hash)) as TrustListRejected).reason).toBe('MALFORMED');
  });

  it('lets a fresh client bootstrap across a chain: every batch back to the full one, digest checked', async () => {
    const { texts, content, row, full } = await chain([10, 20], [[30], [5, 40], [1_000_000]]);
    const fetched: string[] = [];
    const got = await chainBatches({ statusSegments: [row] }, async (hash) => {
      fetched.push(hash);
      return texts.get(hash);
    });
    expect(fetched).toHaveLength(4);
    expect(fetched[3]).toBe(full.hash);
    const source = segmentsFromBatches((hash) => got.get(hash));
    expect([...(source(row) as SegmentSet).offsets()]).toEqual([...content.offsets()]);
    const snapshot = await buildSnapshot(
      { ...trustList([await province(ZJ)]), statusSegments: [row] },
      source,
    );
    expect(snapshot.status.isRevoked(ZJ, SEG * SEGMENT_BITS + 1_000_000)).toBe(true);
    expect(snapshot.status.isRevoked(ZJ, SEG * SEGMENT_BITS + 11)).toBe(false);
    // a holder of an intermediate revision applies only the patches after it
    const withBase = resolveSegment(
      row,
      (hash) => (hash === row.batch ? openBatch(texts.get(hash) as string, hash) : undefined),
      (d) => (d === digestOf(set([5, 10, 20, 30, 40])) ? set([5, 10, 20, 30, 40]) : undefined),
    );
    expect(withBase?.count).toBe(6);
  });

  it('answers SEGMENT_MISSING, never a set, when a batch of the chain is not held', async () => {
    const { texts, row, full } = await chain([10], [[30], [40]]);
    const source = segmentsFromBatches((hash) => (hash === full.hash ? undefined : texts.get(hash)));
    expect(source(row)).toBeUndefined();
    const e = await buildSnapshot(
      { ...trustList([await province(ZJ)]), statusSegments: [row] },
      source,
    ).catch((x: unknown) => x);
    expect((e as TrustListRejected).reason).toBe('SEGMENT_MISSING');
  });

  it('refuses a tampered patch: a signed patch whose digest is not what applying gives (BATCH_MISMATCH)', async () => {
    const base = set([10]);
    const full = await batchOf([segmentContent(SEG, 1, NOW + DAY, base)]);
    const on = { rev: 1, digest: digestOf(base), batch: full.hash };
    // claims the content {10, 30, 31} while adding only 30
    const lying = {
      ...segmentPatch(SEG, 2, NOW + DAY, set([10, 30]), on, Uint32Array.of(30)),
      count: 3,
      digest: digestOf(set([10, 30, 31])),
    };
    const b = await batchOf([lying]);
    const texts = new Map([
      [full.hash, full.jws],
      [b.hash, b.jws],
    ]);
    const row = {
      region: ZJ,
      segment: SEG,
      rev: 2,
      exp: NOW + DAY,
      count: 3,
      digest: lying.digest,
      batch: b.hash,
    };
    const open = (hash: string) => openBatch(texts.get(hash) as string, hash);
    expect((thrown(() => resolveSegment(row, open)) as TrustListRejected).reason).toBe('BATCH_MISMATCH');
    expect(segmentsFromBatches((hash) => texts.get(hash))(row)).toBeUndefined();
  });

  it(`refuses a chain longer than MAX_PATCH_CHAIN (${MAX_PATCH_CHAIN}) patches`, async () => {
    const adds = Array.from({ length: MAX_PATCH_CHAIN + 1 }, (_, i) => [100 + i]);
    const { texts, row } = await chain([1], adds);
    const open = (hash: string) => openBatch(texts.get(hash) as string, hash);
    expect((thrown(() => resolveSegment(row, open)) as TrustListRejected).reason).toBe('BATCH_MISMATCH');
    // one patch fewer is resolved
    const ok = await chain([1], adds.slice(1));
    const openOk = (hash: string) => openBatch(ok.texts.get(hash) as string, hash);
    expect(resolveSegment(ok.row, openOk)?.count).toBe(MAX_PATCH_CHAIN + 1);
  });
});

describe('loading', () => {
  it('loads fflate the first time a segment is packed, not with the module (cold start)', () => {
    // act: a fresh process, as a Lambda cold start
    const probe = [
      "const fflateLoaded = () => Object.keys(require.cache).some((f) => f.includes('node_modules/fflate/'));",
      "const segment = require('./functions/core/status/segment');",
      'const before = fflateLoaded();',
      'segment.packSegment(new Uint8Array([0, 1]));',
      'process.stdout.write(JSON.stringify({ before, after: fflateLoaded() }));',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', probe], {
      cwd: path.resolve(__dirname, '..', '..'),
      encoding: 'utf8',
    });

    // assert
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ before: false, after: true });
  });
});
