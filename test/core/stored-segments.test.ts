/** A node's stored segment chains: whole items and patch items resolved and checked by digest. */
import { MAX_PATCH_CHAIN } from '../../functions/core/rules/status';
import { SegmentSet, encodeSegment, packSegment, sha256 } from '../../functions/core/status/segment';
import { resolveStoredSegments, storedItemFor, type StoredSegment } from '../../functions/core/status/stored';

const setOf = (offsets: number[]) => SegmentSet.fromSorted(Uint32Array.from(offsets));
const digestOf = (offsets: number[]) => sha256(encodeSegment(setOf(offsets)));
const pack = (offsets: number[]) => packSegment(encodeSegment(setOf(offsets)));
const TTL = 2_000_000_000;

/** A store holding `first` whole then one patch per offset of `added`; returns each revision's digest. */
function chain(store: Map<string, StoredSegment>, first: number[], added: number[]): string[] {
  const digests = [digestOf(first)];
  store.set(digests[0], { kind: 'whole', bits: pack(first), ttl: TTL });
  const offsets = [...first];
  added.forEach((o, i) => {
    offsets.push(o);
    offsets.sort((a, b) => a - b);
    const digest = digestOf(offsets);
    store.set(digest, {
      kind: 'patch',
      base: digests[digests.length - 1],
      add: pack([o]),
      count: offsets.length,
      depth: i + 1,
      ttl: TTL,
    });
    digests.push(digest);
  });
  return digests;
}

function reader(store: Map<string, StoredSegment>) {
  const calls: string[][] = [];
  const read = async (digests: readonly string[]) => {
    calls.push([...digests]);
    return new Map(digests.filter((d) => store.has(d)).map((d) => [d, store.get(d) as StoredSegment]));
  };
  return { read, calls };
}

describe('resolveStoredSegments', () => {
  it('resolves whole items and patch chains to the contents their digests name, one read per chain level for all segments', async () => {
    const store = new Map<string, StoredSegment>();
    const a = chain(store, [1, 9], [2, 3, 4]);
    const b = chain(store, [100], [200]);
    const { read, calls } = reader(store);

    const { sets } = await resolveStoredSegments([a[3], b[1], b[0]], read);

    expect([...(sets.get(a[3]) as SegmentSet).offsets()]).toEqual([1, 2, 3, 4, 9]);
    expect([...(sets.get(b[1]) as SegmentSet).offsets()]).toEqual([100, 200]);
    expect([...(sets.get(b[0]) as SegmentSet).offsets()]).toEqual([100]);
    expect([...sets.keys()].sort()).toEqual([a[3], b[1], b[0]].sort());
    // depth 3 → 4 rounds; the second segment's chain rides along in the same calls
    expect(calls).toHaveLength(4);
    expect(calls[0]).toEqual([a[3], b[1], b[0]]);
  });

  it('stops a chain at a content already known (a warm reload reads only the new item)', async () => {
    const store = new Map<string, StoredSegment>();
    const a = chain(store, [1], [2, 3]);
    const { read, calls } = reader(store);
    const known = new Map([[a[1], setOf([1, 2])]]);

    const { sets } = await resolveStoredSegments([a[2]], read, known);

    expect([...(sets.get(a[2]) as SegmentSet).offsets()]).toEqual([1, 2, 3]);
    expect(calls).toEqual([[a[2]]]);
  });

  it.each([
    ['a link missing', (store: Map<string, StoredSegment>, d: string[]) => store.delete(d[1])],
    ['the whole item missing', (store: Map<string, StoredSegment>, d: string[]) => store.delete(d[0])],
    [
      'a whole item whose content is not its digest',
      (store: Map<string, StoredSegment>, d: string[]) =>
        store.set(d[0], { kind: 'whole', bits: pack([7]), ttl: TTL }),
    ],
    [
      'a link adding another offset',
      (store: Map<string, StoredSegment>, d: string[]) =>
        store.set(d[1], {
          ...(store.get(d[1]) as Extract<StoredSegment, { kind: 'patch' }>),
          add: pack([5]),
        }),
    ],
    [
      'a link adding an offset already in its base',
      (store: Map<string, StoredSegment>, d: string[]) =>
        store.set(d[1], {
          ...(store.get(d[1]) as Extract<StoredSegment, { kind: 'patch' }>),
          add: pack([1]),
          count: 2,
        }),
    ],
    [
      'a link with another count',
      (store: Map<string, StoredSegment>, d: string[]) =>
        store.set(d[2], { ...(store.get(d[2]) as Extract<StoredSegment, { kind: 'patch' }>), count: 4 }),
    ],
    [
      'a link whose add is not a packed segment',
      (store: Map<string, StoredSegment>, d: string[]) =>
        store.set(d[2], { ...(store.get(d[2]) as Extract<StoredSegment, { kind: 'patch' }>), add: '!!' }),
    ],
  ])('leaves a segment unheld with %s (never a set other than the digest names)', async (_, spoil) => {
    const store = new Map<string, StoredSegment>();
    const a = chain(store, [1], [2, 3]);
    const other = chain(store, [50], [51]);
    spoil(store, a);
    const { read } = reader(store);

    const { sets } = await resolveStoredSegments([a[2], other[1]], read);

    expect(sets.has(a[2])).toBe(false);
    expect([...(sets.get(other[1]) as SegmentSet).offsets()]).toEqual([50, 51]);
  });

  it(`resolves a chain of ${MAX_PATCH_CHAIN} patches, not one longer`, async () => {
    const store = new Map<string, StoredSegment>();
    const added = Array.from({ length: MAX_PATCH_CHAIN + 1 }, (_, i) => i + 1);
    const d = chain(store, [0], added);
    const { read, calls } = reader(store);

    const atBound = await resolveStoredSegments([d[MAX_PATCH_CHAIN]], read);
    const beyond = await resolveStoredSegments([d[MAX_PATCH_CHAIN + 1]], read);

    expect(atBound.sets.get(d[MAX_PATCH_CHAIN])?.count).toBe(MAX_PATCH_CHAIN + 1);
    expect(beyond.sets.has(d[MAX_PATCH_CHAIN + 1])).toBe(false);
    // never more than MAX_PATCH_CHAIN + 1 reads for one resolution
    expect(calls.length).toBe(2 * (MAX_PATCH_CHAIN + 1));
  });
});

describe('storedItemFor', () => {
  const set = setOf([1, 2]);
  const packWhole = (s: SegmentSet) => packSegment(encodeSegment(s));
  const whole: StoredSegment = { kind: 'whole', bits: pack([1]), ttl: TTL };
  const patchAt = (depth: number, ttl = TTL): StoredSegment => ({
    kind: 'patch',
    base: 'B'.repeat(43),
    add: pack([1]),
    count: 1,
    depth,
    ttl,
  });
  const on = (baseItem: StoredSegment | undefined) => ({ base: digestOf([1]), add: pack([2]), baseItem });

  it.each([
    ['on a whole base', whole, 1],
    ['on a patch below the bound', patchAt(MAX_PATCH_CHAIN - 1), MAX_PATCH_CHAIN],
  ])('stores a patch item %s', (_, baseItem, depth) => {
    expect(storedItemFor(set, packWhole, TTL, on(baseItem))).toEqual({
      kind: 'patch',
      base: digestOf([1]),
      add: pack([2]),
      count: 2,
      depth,
      ttl: TTL,
    });
  });

  it.each([
    ['a whole publication', undefined],
    ['a base not held', on(undefined)],
    ['a base at the chain bound', on(patchAt(MAX_PATCH_CHAIN))],
    ['a base that expires before the revision', on(patchAt(1, TTL - 1))],
  ])('stores whole for %s', (_, patch) => {
    expect(storedItemFor(set, packWhole, TTL, patch)).toEqual({
      kind: 'whole',
      bits: packWhole(set),
      ttl: TTL,
    });
  });

  it('takes a lower bound (the exchange stores whole again at its own), never above MAX_PATCH_CHAIN', () => {
    expect(storedItemFor(set, packWhole, TTL, on(patchAt(7)), 8)).toMatchObject({ kind: 'patch', depth: 8 });
    expect(storedItemFor(set, packWhole, TTL, on(patchAt(8)), 8)).toMatchObject({ kind: 'whole' });
    expect(storedItemFor(set, packWhole, TTL, on(whole), 0)).toMatchObject({ kind: 'whole' });
    expect(storedItemFor(set, packWhole, TTL, on(patchAt(MAX_PATCH_CHAIN)), 1000)).toMatchObject({
      kind: 'whole',
    });
  });
});
