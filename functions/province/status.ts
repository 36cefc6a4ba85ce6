/**
 * The node's side of status segments (docs/scale.md): assigning status indices to the codes it
 * issues, revoking codes by publishing their segments, and keeping the content of every segment the
 * trust list names (fetched by batch hash, checked against the list's digest) for the verifier.
 */
import type { Logger } from '../aws/lambda-log';
import { TrustListRejected } from '../core/errors';
import { LIMITS } from '../core/profiles';
import type {
  StatusSegmentContent,
  StatusSegmentPatch,
  TrustList,
  TrustListStatusSegment,
} from '../core/schemas/types.gen';
import { MAX_PATCH_CHAIN } from '../core/rules';
import {
  openBatch,
  readSegmentBits,
  resolveSegment,
  segmentContent,
  segmentPatch,
  type OpenedBatch,
  type SegmentAt,
} from '../core/status/batch';
import { SegmentSet, encodeSegment, groupBySegment, locate, packSegment } from '../core/status/segment';
import { resolveStoredSegments, storedItemFor, type StoredSegment } from '../core/status/stored';
import {
  exchangeRefused,
  publishStatusSegments,
  type ExchangeClient,
  type SigningContext,
} from './exchange-client';
import type { ProvinceRepository } from './repository';
import { fetchArtefact, type RefusalSink } from './artefacts';

/** Indices reserved per counter write (a process wastes at most this many when it stops). */
export const STATUS_INDEX_BLOCK = 64;
/** Most segments in one `status.publish` (the schema's cap). */
export const MAX_SEGMENTS_PER_PUBLICATION = 32;
/** Attempts at updating an own segment that a concurrent revocation changed meanwhile. */
const MAX_SEGMENT_ATTEMPTS = 20;

/** Hands out status indices from blocks reserved with one atomic counter write each. */
export class StatusIndexAllocator {
  private next = 0;
  private end = 0;
  private pending?: Promise<void>;

  constructor(private readonly repository: Pick<ProvinceRepository, 'allocateStatusIndices'>) {}

  async allocate(): Promise<number> {
    while (this.next >= this.end) {
      this.pending ??= this.repository
        .allocateStatusIndices(STATUS_INDEX_BLOCK)
        .then((start) => {
          this.next = start;
          this.end = start + STATUS_INDEX_BLOCK;
        })
        .finally(() => {
          this.pending = undefined;
        });
      await this.pending;
    }
    return this.next++;
  }
}

/** A code to revoke by status index. */
export interface StatusRevocation {
  readonly statusIndex: number;
  readonly exp: number;
}

/** A revision of an own segment to publish: its full content, and a patch when one can be sent. */
interface OwnRevision {
  readonly full: StatusSegmentContent;
  readonly patch?: StatusSegmentPatch;
  /** The depth the revision has once published: the patch's, or 0 for the full content. */
  readonly depth: number;
}

/**
 * Add `revocations` to this province's own segments (each segment one conditional write at its next
 * revision, re-read and retried when a concurrent revocation got there first), then publish the
 * segments touched, up to 32 per signed request: as a patch (the offsets added) when the exchange
 * accepted the revision it builds on and the chain is below MAX_PATCH_CHAIN, else whole; when the
 * exchange refuses the patches (`SEGMENT_BASE_STALE`, `SEGMENT_CHAIN_FULL`) the same revisions are
 * sent whole. Safe to retry: a segment already holding the offsets is published again as it is.
 */
export async function revokeByStatus(
  ctx: SigningContext & { readonly repository: ProvinceRepository },
  revocations: readonly StatusRevocation[],
): Promise<{ segments: number; patches: number }> {
  const expBySegment = new Map<number, number>();
  for (const r of revocations) {
    const { segment } = locate(r.statusIndex);
    expBySegment.set(segment, Math.max(expBySegment.get(segment) ?? 0, r.exp));
  }
  const revisions: OwnRevision[] = [];
  for (const [segment, offsets] of groupBySegment(revocations.map((r) => r.statusIndex))) {
    revisions.push(
      await updateOwnSegment(ctx.repository, segment, offsets, expBySegment.get(segment) as number),
    );
  }
  let patches = 0;
  for (let i = 0; i < revisions.length; i += MAX_SEGMENTS_PER_PUBLICATION) {
    const part = revisions.slice(i, i + MAX_SEGMENTS_PER_PUBLICATION);
    let sent = await publishStatusSegments(
      ctx,
      part.map((r) => r.patch ?? r.full),
    );
    let whole = false;
    if (sent.outcome === 'patchRefused') {
      sent = await publishStatusSegments(
        ctx,
        part.map((r) => r.full),
      );
      whole = true;
    }
    if (sent.outcome === 'patchRefused') throw exchangeRefused(409, 'SEGMENT_BASE_STALE');
    if (!whole) patches += part.filter((r) => r.patch).length;
    if (sent.outcome !== 'accepted') continue;
    for (const r of part) {
      const depth = whole ? 0 : r.depth;
      await ctx.repository.markOwnSegmentPublished(r.full.segment, r.full.rev, { batch: sent.batch, depth });
    }
  }
  return { segments: revisions.length, patches };
}

async function updateOwnSegment(
  repository: ProvinceRepository,
  segment: number,
  offsets: Uint32Array,
  exp: number,
): Promise<OwnRevision> {
  for (let attempt = 0; attempt < MAX_SEGMENT_ATTEMPTS; attempt++) {
    const held = await repository.getOwnSegment(segment);
    const read = held ? readSegmentBits(held.bits) : undefined;
    const base = read ? read.set : SegmentSet.empty();
    const set = base.union(offsets);
    const nextExp = Math.max(held?.exp ?? 0, exp);
    if (held && set.count === held.count && nextExp === held.exp) {
      // Already there (a retry): publish what is held, at its revision, whole.
      return {
        full: { segment, rev: held.rev, exp: held.exp, count: held.count, bits: held.bits },
        depth: 0,
      };
    }
    const content = segmentContent(segment, (held?.rev ?? 0) + 1, nextExp, set);
    if (
      await repository.putOwnSegment({
        segment,
        rev: content.rev,
        exp: content.exp,
        bits: content.bits,
        count: content.count,
      })
    ) {
      const published = held?.published;
      const added = offsets.filter((o) => !base.has(o));
      if (!held || !read || !published || published.depth >= MAX_PATCH_CHAIN || added.length === 0) {
        return { full: content, depth: 0 };
      }
      const on = { rev: held.rev, digest: read.digest, batch: published.batch };
      const patch = segmentPatch(segment, content.rev, content.exp, set, on, added);
      return { full: content, patch, depth: published.depth + 1 };
    }
  }
  throw new Error(`own status segment ${segment} kept changing`);
}

/**
 * Make sure the content of every segment `list` names is held, fetching the batches that carry the
 * missing ones from the exchange (each checked against its hash, each segment against the list's
 * digest). Throws `TrustListRejected` when a batch does not match what the signed list commits to.
 *
 * `committed` is the replica this node committed before (its rows): every item a committed replica
 * lists was written, checked, before that commit, with a `ttl` past its row's expiry, so a row with
 * the same digest and no later `exp` is taken as held without reading it (see {@link takenAsHeld}).
 * Only the other rows are read (a new digest is almost always absent: one read unit), plus the
 * bases the new patches need. Without `committed` (first sync, or a verifier asked for a check)
 * every listed item is read, its chain resolved, and what is missing or expires too early is healed.
 */
export async function ensureSegments(
  deps: {
    readonly repository: ProvinceRepository;
    readonly exchange: ExchangeClient;
    readonly refused?: RefusalSink;
    readonly logger?: Logger;
  },
  list: TrustList,
  committed?: readonly TrustListStatusSegment[],
): Promise<{ fetched: number }> {
  const rows = list.statusSegments ?? [];
  const read = (digests: readonly string[]) => deps.repository.getSegmentItems(digests);
  // An item lives past the latest expiry of the rows naming its digest (two segments may share one).
  const ttls = new Map<string, number>();
  for (const s of rows)
    ttls.set(s.digest, Math.max(ttls.get(s.digest) ?? 0, s.exp + LIMITS.clockSkew + 86_400));
  const ttlOf = (s: TrustListStatusSegment) => ttls.get(s.digest) as number;
  const known = takenAsHeld(rows, committed);
  const held = new Map<string, SegmentSet>();
  // Contents this node holds (checked sets) and their stored items: the bases of the patches listed.
  const heldItems = new Map<string, StoredSegment>();
  const hold = async (digests: readonly string[]) => {
    const { sets, items } = await resolveStoredSegments(digests, read, held);
    for (const [digest, set] of sets) {
      held.set(digest, set);
      heldItems.set(digest, items.get(digest) as StoredSegment);
    }
  };
  await hold(rows.filter((s) => !known.has(s.digest)).map((s) => s.digest));
  // Held but stored to expire before the row does (a revision that only raised `exp`): kept again,
  // whole, with the row's ttl, so no link of it can expire first.
  for (const s of rows) {
    const item = heldItems.get(s.digest);
    const set = held.get(s.digest);
    if (!item || !set || item.ttl >= ttlOf(s)) continue;
    const bits = packSegment(encodeSegment(set));
    const next: StoredSegment = { kind: 'whole', bits, ttl: ttlOf(s) };
    await deps.repository.putSegmentItem(s.digest, next, () => bits);
    heldItems.set(s.digest, next);
  }
  const missing = rows.filter((s) => !known.has(s.digest) && !held.has(s.digest));
  const opened = new Map<string, OpenedBatch>();
  // A batch wanted for one segment revision: from the static site first; a copy that is missing or
  // fails the checks is asked from the API.
  const fetchFor = async (at: SegmentAt): Promise<OpenedBatch> => {
    let batch = opened.get(at.batch);
    batch ??= await fetchArtefact(
      deps.exchange,
      'batch',
      (source) => deps.exchange.getStatusBatch(at.batch, source),
      async (answer) => {
        if (answer.status !== 200) throw exchangeRefused(answer.status, undefined);
        return openBatch(answer.body, at.batch);
      },
      { ...(deps.refused ? { refused: deps.refused } : {}), ...(deps.logger ? { logger: deps.logger } : {}) },
    );
    opened.set(at.batch, batch);
    const item = batch.segments.get(at.segment);
    if (!item || item.digest !== at.digest) {
      throw new TrustListRejected('BATCH_MISMATCH', 'A status batch does not hold the listed segment');
    }
    return batch;
  };
  const bases: string[] = [];
  for (const s of missing) {
    const item = (await fetchFor(s)).segments.get(s.segment);
    if (item?.kind === 'patch') bases.push(item.base.digest);
  }
  await hold(bases);
  for (const s of missing) {
    if (held.has(s.digest)) continue;
    // The batch of the listed revision, then back along its patches to a full publication or to a
    // content this node holds (at most MAX_PATCH_CHAIN + 1 batches).
    let at: SegmentAt = s;
    for (let hop = 0; hop <= MAX_PATCH_CHAIN; hop++) {
      const item = (await fetchFor(at)).segments.get(at.segment);
      if (item?.kind !== 'patch') break;
      at = { segment: at.segment, digest: item.base.digest, batch: item.base.batch };
      if (!held.has(at.digest)) await hold([at.digest]);
      if (held.has(at.digest)) break;
    }
    // Applies the chain and checks every digest: content that does not match is never stored.
    const set = resolveSegment(
      s,
      (hash) => opened.get(hash),
      (digest) => held.get(digest),
    );
    if (!set) throw new TrustListRejected('SEGMENT_MISSING', 'A status segment chain could not be fetched');
    // Stored as a patch on the base this node holds (a small item), else whole.
    const item = opened.get(s.batch)?.payload.segments.find((c) => c.segment === s.segment);
    const patch =
      item && 'add' in item
        ? { base: item.base.digest, add: item.add, baseItem: heldItems.get(item.base.digest) }
        : undefined;
    const ttl = ttlOf(s);
    const wholeBits = item && 'bits' in item ? item.bits : undefined;
    const whole = () => wholeBits ?? packSegment(encodeSegment(set));
    const next = storedItemFor(set, whole, ttl, patch);
    await deps.repository.putSegmentItem(s.digest, next, whole);
    held.set(s.digest, set);
    heldItems.set(s.digest, next);
  }
  return { fetched: missing.length };
}

/**
 * The digests of `rows` a node may take as held without reading them: listed by the replica it
 * committed before (`committed`) at an `exp` no earlier than the row's now. Sync writes and checks
 * every item before committing the replica that lists it, with `ttl` = the row's `exp` + skew + a
 * day (and rewrites an item held to expire earlier), so such an item is there unless something
 * deleted it behind the node's back; a verifier that finds one missing asks for a check
 * ({@link ProvinceRepository.requestSegmentCheck}) and the next sync reads them all.
 */
export function takenAsHeld(
  rows: readonly TrustListStatusSegment[],
  committed: readonly TrustListStatusSegment[] | undefined,
): Set<string> {
  const expOf = new Map<string, number>();
  for (const c of committed ?? []) expOf.set(c.digest, Math.max(expOf.get(c.digest) ?? 0, c.exp));
  return new Set(rows.filter((s) => (expOf.get(s.digest) ?? -1) >= s.exp).map((s) => s.digest));
}
