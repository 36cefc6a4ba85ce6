/**
 * How a province node keeps the segments a list names, and the exchange the revisions it accepted
 * (its `SCONTENT#` items, the bases of the next patches): by digest, each item either the whole
 * packed content or, for a revision taken as a patch on a content the node holds, a small item
 * naming that base by digest plus the offsets added ({@link StoredSegment}). A chain of such items
 * is at most {@link MAX_PATCH_CHAIN} patches on one whole item, so resolving a digest reads at most
 * MAX_PATCH_CHAIN + 1 items; every link's content is checked against the digest it is stored
 * under, so a missing or tampered link leaves the segment unheld (a node: `SEGMENT_MISSING`; the
 * exchange: `SEGMENT_BASE_UNREADABLE`), never a set other than the one the list commits to.
 */
import { MAX_PATCH_CHAIN } from '../rules/status';
import { SegmentInvalid, SegmentSet, encodeSegment, readSegmentBits, sha256 } from './segment';

/** A stored segment content: whole, or a patch on the content stored under `base`. */
export type StoredSegment =
  | { readonly kind: 'whole'; readonly bits: string; readonly ttl: number }
  | {
      readonly kind: 'patch';
      /** Digest of the content this patch adds to (stored too, with a `ttl` at least this one's). */
      readonly base: string;
      /** The added offsets, packed like `bits` (deflated canonical raw form, base64url). */
      readonly add: string;
      /** Offsets in the resulting content. */
      readonly count: number;
      /** Patches from the whole item to this one (1..MAX_PATCH_CHAIN). */
      readonly depth: number;
      readonly ttl: number;
    };

/** Reads the stored items of `digests` (any order, any subset found). */
export type StoredSegmentReader = (digests: readonly string[]) => Promise<ReadonlyMap<string, StoredSegment>>;

/** What {@link resolveStoredSegments} found: the checked sets of the digests asked, and every item it read. */
export interface ResolvedSegments {
  readonly sets: Map<string, SegmentSet>;
  readonly items: Map<string, StoredSegment>;
}

/**
 * The contents stored under `digests`, read in rounds (one `read` call per chain level for every
 * digest at once, so at most MAX_PATCH_CHAIN + 1 rounds) and applied from each whole item forward,
 * each content checked against its digest. `known` holds sets already checked (e.g. the previous
 * snapshot's): a chain stops at them. A digest missing from `sets` is not held: an item absent, a
 * link absent or not giving its digest, or a chain longer than the bound.
 */
export async function resolveStoredSegments(
  digests: Iterable<string>,
  read: StoredSegmentReader,
  known: ReadonlyMap<string, SegmentSet> = new Map(),
): Promise<ResolvedSegments> {
  const items = new Map<string, StoredSegment>();
  const asked = new Set<string>();
  const requested = new Set(digests);
  let frontier = [...requested].filter((d) => !known.has(d));
  for (let round = 0; round <= MAX_PATCH_CHAIN && frontier.length > 0; round++) {
    for (const d of frontier) asked.add(d);
    const found = await read(frontier);
    const next = new Set<string>();
    for (const d of frontier) {
      const item = found.get(d);
      if (!item) continue;
      items.set(d, item);
      if (item.kind === 'patch' && !known.has(item.base) && !asked.has(item.base)) next.add(item.base);
    }
    frontier = [...next];
  }
  const sets = new Map<string, SegmentSet>();
  const failed = new Set<string>();
  const resolve = (digest: string): SegmentSet | undefined => {
    const done = known.get(digest) ?? sets.get(digest);
    if (done) return done;
    if (failed.has(digest)) return undefined;
    // Walk back to a whole item or a known set, then apply forward (no recursion: bounded loop).
    const chain: { digest: string; item: Extract<StoredSegment, { kind: 'patch' }> }[] = [];
    let at = digest;
    let base: SegmentSet | undefined;
    for (let hop = 0; hop <= MAX_PATCH_CHAIN + 1; hop++) {
      base = known.get(at) ?? sets.get(at);
      if (base) break;
      const item = items.get(at);
      if (!item || failed.has(at)) break;
      if (item.kind === 'whole') {
        base = wholeSet(item.bits, at);
        if (base) sets.set(at, base);
        else failed.add(at);
        break;
      }
      chain.push({ digest: at, item });
      at = item.base;
    }
    if (!base || chain.length > MAX_PATCH_CHAIN) {
      for (const c of chain) failed.add(c.digest);
      failed.add(digest);
      return undefined;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const next = applyStoredPatch(base, chain[i].item, chain[i].digest);
      if (!next) {
        for (let j = i; j >= 0; j--) failed.add(chain[j].digest);
        return undefined;
      }
      sets.set(chain[i].digest, next);
      base = next;
    }
    return base;
  };
  for (const d of requested) if (!known.has(d)) resolve(d);
  for (const d of [...sets.keys()]) if (!requested.has(d)) sets.delete(d);
  return { sets, items };
}

function wholeSet(bits: string, digest: string): SegmentSet | undefined {
  try {
    const read = readSegmentBits(bits);
    return read.digest === digest ? read.set : undefined;
  } catch (e) {
    if (e instanceof SegmentInvalid) return undefined;
    throw e;
  }
}

/** `base` plus the patch's offsets, when none of them is in `base` and the result is `digest`. */
function applyStoredPatch(
  base: SegmentSet,
  patch: Extract<StoredSegment, { kind: 'patch' }>,
  digest: string,
): SegmentSet | undefined {
  let add: SegmentSet;
  try {
    add = readSegmentBits(patch.add).set;
  } catch (e) {
    if (e instanceof SegmentInvalid) return undefined;
    throw e;
  }
  if (add.count === 0 || base.count + add.count !== patch.count) return undefined;
  const set = base.union(add.offsets());
  if (set.count !== patch.count) return undefined;
  return sha256(encodeSegment(set)) === digest ? set : undefined;
}

/**
 * How a revision is stored (a node's `SEGMENT#`, the exchange's `SCONTENT#`): as a patch on `base`
 * when `base` is stored (`baseItem`), the chain under it is below `bound` (at most
 * MAX_PATCH_CHAIN) and lives at least as long (`ttl`), else whole. `add` is the patch's packed
 * added offsets (undefined for a whole publication).
 */
export function storedItemFor(
  set: SegmentSet,
  packWhole: (set: SegmentSet) => string,
  ttl: number,
  patch?: { readonly base: string; readonly add: string; readonly baseItem: StoredSegment | undefined },
  bound: number = MAX_PATCH_CHAIN,
): StoredSegment {
  const baseItem = patch?.baseItem;
  const depth = baseItem === undefined ? undefined : baseItem.kind === 'whole' ? 0 : baseItem.depth;
  const limit = Math.min(bound, MAX_PATCH_CHAIN);
  if (patch && baseItem && depth !== undefined && depth < limit && baseItem.ttl >= ttl) {
    return { kind: 'patch', base: patch.base, add: patch.add, count: set.count, depth: depth + 1, ttl };
  }
  return { kind: 'whole', bits: packWhole(set), ttl };
}
