/**
 * Status publications (docs/scale.md): a province's signed `status.publish` carries up to 32 status
 * segments, each its full current content or a patch (the offsets added since the live revision the
 * exchange holds, and the digest of the resulting content, which the exchange checks by applying the
 * patch to the content it holds). The exchange checks it, stores the request verbatim under its
 * SHA-256, and appends ONE log entry committing to it, whatever the number of codes (a million
 * revocations are one request, or a few). Every cap is one constant, checked before anything is
 * written, and refused with a 4xx.
 */
import { RequestInvalid, TrustListRejected } from '../core/errors';
import { STATUS_REQUEST_PROFILE } from '../core/profiles';
import { HcxError } from '../core/errors';
import { LIMITS } from '../core/profiles';
import {
  beyondCodeLifetime,
  decideSegment,
  liveSegmentsRefusal,
  MAX_LIVE_SEGMENTS_PER_PROVINCE,
  MAX_PATCH_CHAIN,
  patchRefusal,
  segmentShrinks,
} from '../core/rules';
import type {
  LogEntry,
  StatusPublishRequest,
  StatusPublishResult,
  StatusSegmentRef,
} from '../core/schemas/types.gen';
import {
  applySegmentPatch,
  openBatch,
  sha256,
  type BatchPatch,
  type BatchSegment,
} from '../core/status/batch';
import { encodeSegment, packSegment, type SegmentSet } from '../core/status/segment';
import { resolveStoredSegments, storedItemFor, type StoredSegment } from '../core/status/stored';
import type { StatusSegmentRecord } from './repository';
import { enforce } from './rules';
import { activeProvince, appendWith, authenticate, type ExchangeContext } from './service';

export { MAX_LIVE_SEGMENTS_PER_PROVINCE };

/**
 * Patch items under one whole item at which the exchange stores an accepted revision whole again
 * (`SCONTENT#`, docs/scale.md "What the exchange stores"): every patch publish reads its base's
 * chain, one item per level, so a lower bound than MAX_PATCH_CHAIN keeps that read small.
 */
export const STORED_CHAIN_BOUND = 8;

/** What a status publication answers (counts only): schemas/status-publish-result.json. */
export type PublishedStatus = StatusPublishResult;

function checkSegment(s: BatchSegment, now: number): void {
  // A code cannot outlive the federation's maximum: a segment claiming so would stay in every list.
  if (beyondCodeLifetime(s.exp, now)) {
    throw new RequestInvalid(`segment ${s.segment}: exp is beyond the longest code lifetime`);
  }
}

/** POST /v1/provinces/{region}/status-segments: a signed `status.publish`. */
export async function publishStatus(
  ctx: ExchangeContext,
  region: string,
  jws: unknown,
): Promise<PublishedStatus> {
  await authenticate(ctx, jws, 'status.publish', region, STATUS_REQUEST_PROFILE);
  const text = jws as string;
  const hash = sha256(text);
  // Authentic: read the segments (canonical form, counts) before anything is stored.
  let opened;
  try {
    opened = openBatch(text, hash);
  } catch (e) {
    if (e instanceof TrustListRejected) throw new RequestInvalid(e.message);
    throw e;
  }
  const now = ctx.now();
  for (const s of opened.segments.values()) checkSegment(s, now);
  const payload: StatusPublishRequest = opened.payload;
  const bound = ctx.storedChainBound ?? STORED_CHAIN_BOUND;
  let unchanged = 0;
  let refs: StatusSegmentRef[] = [];
  // What each accepted revision stores under its digest (whole, or a patch item on its base),
  // written before the entry that commits to it.
  let stored: { digest: string; item: StoredSegment; whole: () => string }[] = [];
  const decide = async (seq: number) => {
    await activeProvince(ctx, region);
    unchanged = 0;
    refs = [];
    stored = [];
    let added = 0;
    // The rules that need no content first (rev-forward, patch base and chain bound).
    const moving: { s: BatchSegment; held?: StatusSegmentRecord; supersedesLive: boolean; depth?: number }[] =
      [];
    for (const s of opened.segments.values()) {
      const held = await ctx.repository.getStatusSegment(region, s.segment);
      const { decision, supersedesLive } = decideSegment(held, s, now);
      const detail = `segment ${s.segment}: held revision ${held?.rev}`;
      if (!enforce(decision, { SEGMENT_REV_STALE: detail })) {
        unchanged++;
        continue;
      }
      let depth: number | undefined;
      if (s.kind === 'patch') {
        const checked = patchRefusal(held, s.base, now);
        if ('refusal' in checked) {
          enforce(checked.refusal, {
            SEGMENT_BASE_STALE: `${detail}, digest ${held?.digest}, batch ${held?.batch}`,
            SEGMENT_CHAIN_FULL: `segment ${s.segment}: at most ${MAX_PATCH_CHAIN} patches since a full publication`,
          });
        } else depth = checked.depth;
      }
      moving.push({
        s,
        ...(held ? { held } : {}),
        supersedesLive,
        ...(depth !== undefined ? { depth } : {}),
      });
    }
    // The content of every held revision a check needs, resolved together (one BatchGet round per
    // stored chain level), each link checked against its digest.
    const contents = await heldContents(
      ctx,
      moving.flatMap((m) => (m.held && (m.s.kind === 'patch' || m.supersedesLive) ? [m.held] : [])),
    );
    for (const { s, held, supersedesLive, depth } of moving) {
      const ttl = s.exp + LIMITS.clockSkew + 86_400;
      const sent = payload.segments.find((c) => c.segment === s.segment);
      if (s.kind === 'patch') {
        const base = contents.get((held as StatusSegmentRecord).digest) as HeldContent;
        const set = applySegmentPatch(base.set, s);
        if (!set) {
          throw new HcxError('SEGMENT_PATCH_MISMATCH', {
            detail: `segment ${s.segment}: the patch does not give count ${s.count} and its digest`,
          });
        }
        checkCovers(held as StatusSegmentRecord, base.set, s, set);
        const add = sent && 'add' in sent ? sent.add : packSegment(encodeSegment(s.add));
        const on = { base: s.base.digest, add, baseItem: base.item };
        stored.push({
          digest: s.digest,
          item: storedItemFor(set, pack, ttl, on, bound),
          whole: () => pack(set),
        });
      } else {
        if (held && supersedesLive)
          checkCovers(held, (contents.get(held.digest) as HeldContent).set, s, s.set);
        else added++;
        const bits = sent && 'bits' in sent ? sent.bits : undefined;
        const whole = () => bits ?? pack(s.set);
        stored.push({ digest: s.digest, item: storedItemFor(s.set, whole, ttl), whole });
      }
      refs.push({
        segment: s.segment,
        rev: s.rev,
        exp: s.exp,
        count: s.count,
        digest: s.digest,
        ...(depth !== undefined ? { depth } : {}),
      });
    }
    if (refs.length === 0) return undefined;
    // The count is read only when the publication adds live segments.
    if (added > 0) {
      const full = liveSegmentsRefusal(await ctx.repository.countLiveSegments(region, now), added);
      enforce(full ?? 'APPEND', { STATUS_SEGMENTS_FULL: `at most ${MAX_LIVE_SEGMENTS_PER_PROVINCE}` });
    }
    // The batch and each revision's content are stored before the entry that commits to them: a
    // committed batch is always there, and so is the base of the next patch.
    for (const c of stored) await ctx.repository.putSegmentItem(c.digest, c.item, c.whole);
    await ctx.repository.putBatch(hash, text);
    return { seq, at: now, type: 'status.published' as const, region, data: { batch: hash, segments: refs } };
  };
  const entry = (await appendWith(ctx, decide, region)) as LogEntry | undefined;
  if (entry) await ctx.afterChange?.();
  const revoked = payload.segments.reduce((n, s) => n + s.count, 0);
  return {
    segments: refs.length,
    unchanged,
    revoked,
    batch: hash,
    version: entry?.seq ?? (await ctx.repository.lastEntry())?.seq ?? 0,
  };
}

const pack = (set: SegmentSet) => packSegment(encodeSegment(set));

/** A held revision's checked content, and its stored item when it was read from one. */
interface HeldContent {
  readonly set: SegmentSet;
  readonly item?: StoredSegment;
}

/**
 * The content of each revision in `held`, from the exchange's stored items (functions/core/status/
 * stored.ts: whole, or patch items on their base, every link checked against its digest). A whole
 * publication whose item is absent or wrong is read from its batch (checked by hash and digest;
 * also the case of revisions accepted before whole publications had an item); a patched revision
 * whose chain does not give its digest — a link deleted or altered — is refused
 * `SEGMENT_BASE_UNREADABLE` before anything is written: the exchange never commits a digest it
 * could not check.
 */
async function heldContents(
  ctx: ExchangeContext,
  held: readonly StatusSegmentRecord[],
): Promise<Map<string, HeldContent>> {
  const out = new Map<string, HeldContent>();
  if (held.length === 0) return out;
  const { sets, items } = await resolveStoredSegments(
    held.map((h) => h.digest),
    (digests) => ctx.repository.getSegmentItems(digests),
  );
  for (const h of held) {
    const set = sets.get(h.digest);
    if (set) out.set(h.digest, { set, item: items.get(h.digest) as StoredSegment });
    else {
      const fromBatch = h.depth ? undefined : await batchContent(ctx, h);
      if (!fromBatch) {
        throw new HcxError('SEGMENT_BASE_UNREADABLE', {
          detail: `segment ${h.segment}: the content of revision ${h.rev} cannot be rebuilt`,
        });
      }
      out.set(h.digest, { set: fromBatch });
    }
  }
  return out;
}

/** A whole publication's content, from the batch that carries it (undefined: absent or not it). */
async function batchContent(
  ctx: ExchangeContext,
  held: StatusSegmentRecord,
): Promise<SegmentSet | undefined> {
  const stored = await ctx.repository.getBatch(held.batch);
  if (stored === undefined) return undefined;
  try {
    const item = openBatch(stored, held.batch).segments.get(held.segment);
    return item?.kind === 'full' && item.digest === held.digest ? item.set : undefined;
  } catch (e) {
    if (e instanceof TrustListRejected) return undefined;
    throw e;
  }
}

/** The live content `held` replaces must be covered by `next`'s ({@link segmentShrinks}). */
function checkCovers(
  held: StatusSegmentRecord,
  previous: SegmentSet,
  next: BatchSegment | BatchPatch,
  set: SegmentSet,
): void {
  enforce(segmentShrinks({ exp: held.exp, set: previous }, { exp: next.exp, set }) ?? 'APPEND', {
    SEGMENT_SHRINKS: `segment ${next.segment}`,
  });
}

/** GET /v1/status-batches/{hash}: the stored batch, verbatim (content-addressed: cache forever). */
export async function statusBatch(ctx: ExchangeContext, hash: string): Promise<string | undefined> {
  return ctx.repository.getBatch(hash);
}
