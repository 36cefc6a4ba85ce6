/**
 * Segment items are content-addressed (`SEGMENT#<digest>` at a node, `SCONTENT#<digest>` at the
 * exchange): two segments with the same content share one item. A later writer must never shorten
 * what an earlier one stored, or a chain another segment relies on would expire under it (dynalite,
 * both repositories, functions/aws/segment-items.ts `putStoredSegment`).
 */
import { createTable } from '../../functions/aws/dynamodb';
import { PROVINCE_TABLE, EXCHANGE_TABLE } from '../../functions/core/storage/tables';
import { sha256 } from '../../functions/core/status/batch';
import { SegmentSet, encodeSegment, packSegment } from '../../functions/core/status/segment';
import { resolveStoredSegments, type StoredSegment } from '../../functions/core/status/stored';
import { DynamoExchangeRepository } from '../../functions/exchange/dynamo-repository';
import { DynamoProvinceRepository } from '../../functions/province/dynamo-repository';
import { dynaliteTables, type DynaliteTables } from '../kit';

let db: DynaliteTables;
let counter = 0;
beforeAll(async () => {
  db = await dynaliteTables();
});
afterAll(() => db.close());

type Items = Pick<DynamoProvinceRepository, 'putSegmentItem' | 'getSegmentItems'>;

const REPOSITORIES: [string, () => Promise<Items>][] = [
  [
    'a node (SEGMENT#)',
    async () => {
      const name = `shared-node-${process.pid}-${++counter}`;
      await createTable(db.client, PROVINCE_TABLE, name);
      return new DynamoProvinceRepository(db.client, name);
    },
  ],
  [
    'the exchange (SCONTENT#)',
    async () => {
      const name = `shared-exchange-${process.pid}-${++counter}`;
      await createTable(db.client, EXCHANGE_TABLE, name);
      return new DynamoExchangeRepository(db.client, name);
    },
  ],
];

const setOf = (offsets: number[]) => SegmentSet.fromSorted(Uint32Array.from(offsets));
const bitsOf = (offsets: number[]) => packSegment(encodeSegment(setOf(offsets)));
const digestOf = (offsets: number[]) => sha256(encodeSegment(setOf(offsets)));
const SHORT = 2_000_000_000;
const LONG = SHORT + 86_400;

/** The content stored under `digest`, resolved as a verifier does (every link checked). */
async function resolved(repository: Items, digest: string): Promise<number[] | undefined> {
  const { sets } = await resolveStoredSegments([digest], (d) => repository.getSegmentItems(d));
  const set = sets.get(digest);
  return set ? [...set.offsets()] : undefined;
}

describe.each(REPOSITORIES)('segment items shared by equal contents at %s', (_, open) => {
  // segment B's chain: base [1] (whole), then [1, 7] as a patch on it; segment A holds [1, 7] whole
  const base = digestOf([1]);
  const shared = digestOf([1, 7]);
  const patchItem = (ttl: number): StoredSegment => ({
    kind: 'patch',
    base,
    add: bitsOf([7]),
    count: 2,
    depth: 1,
    ttl,
  });

  it('keeps a longer-lived item: a shorter-lived writer stores the content whole with the longer ttl', async () => {
    const repository = await open();
    await repository.putSegmentItem(base, { kind: 'whole', bits: bitsOf([1]), ttl: SHORT });
    await repository.putSegmentItem(shared, { kind: 'whole', bits: bitsOf([1, 7]), ttl: LONG });

    await repository.putSegmentItem(shared, patchItem(SHORT), () => bitsOf([1, 7]));

    const item = (await repository.getSegmentItems([shared])).get(shared);
    expect(item).toEqual({ kind: 'whole', bits: bitsOf([1, 7]), ttl: LONG });
    expect(await resolved(repository, shared)).toEqual([1, 7]);
  });

  it('lets a longer-lived writer replace a shorter-lived item', async () => {
    const repository = await open();
    await repository.putSegmentItem(base, { kind: 'whole', bits: bitsOf([1]), ttl: LONG });
    await repository.putSegmentItem(shared, { kind: 'whole', bits: bitsOf([1, 7]), ttl: SHORT });

    await repository.putSegmentItem(shared, patchItem(LONG), () => bitsOf([1, 7]));

    expect((await repository.getSegmentItems([shared])).get(shared)).toEqual(patchItem(LONG));
    expect(await resolved(repository, shared)).toEqual([1, 7]);
  });

  it('replaces a broken longer-lived item with the whole content (a repair is never refused)', async () => {
    const repository = await open();
    await repository.putSegmentItem(shared, { kind: 'whole', bits: bitsOf([1, 8]), ttl: LONG });
    expect(await resolved(repository, shared)).toBeUndefined();

    await repository.putSegmentItem(shared, { kind: 'whole', bits: bitsOf([1, 7]), ttl: SHORT }, () =>
      bitsOf([1, 7]),
    );

    expect((await repository.getSegmentItems([shared])).get(shared)).toEqual({
      kind: 'whole',
      bits: bitsOf([1, 7]),
      ttl: LONG,
    });
    expect(await resolved(repository, shared)).toEqual([1, 7]);
  });

  it('keeps the longer-lived item when the writer gives no whole content', async () => {
    const repository = await open();
    await repository.putSegmentItem(shared, { kind: 'whole', bits: bitsOf([1, 7]), ttl: LONG });

    await repository.putSegmentItem(shared, patchItem(SHORT));

    expect((await repository.getSegmentItems([shared])).get(shared)).toEqual({
      kind: 'whole',
      bits: bitsOf([1, 7]),
      ttl: LONG,
    });
  });
});
