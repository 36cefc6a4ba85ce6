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
import { encodeSegment, packSegment, readSegmentBits, type SegmentSet } from '../core/status/segment';
import type { StatusSegmentRecord } from './repository';
import { enforce } from './rules';
import { activeProvince, appendWith, authenticate, type ExchangeContext } from './service';

export { MAX_LIVE_SEGMENTS_PER_PROVINCE };

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
  let unchanged = 0;
  let refs: StatusSegmentRef[] = [];
  // Contents the patches give, kept (by digest) before the entry that commits to them.
  let contents: { digest: string; set: SegmentSet; exp: number }[] = [];
  const decide = async (seq: number) => {
    await activeProvince(ctx, region);
    unchanged = 0;
    refs = [];
    contents = [];
    let added = 0;
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
        const base = await contentOf(ctx, held as StatusSegmentRecord);
        const set = applySegmentPatch(base, s);
        if (!set) {
          throw new HcxError('SEGMENT_PATCH_MISMATCH', {
            detail: `segment ${s.segment}: the patch does not give count ${s.count} and its digest`,
          });
        }
        checkCovers(held as StatusSegmentRecord, base, s, set);
        contents.push({ digest: s.digest, set, exp: s.exp });
      } else if (held && supersedesLive) checkCovers(held, await contentOf(ctx, held), s, s.set);
      else added++;
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
    // The batch (and what its patches give) is stored before the entry that commits to it: a
    // committed batch is always there, and so is the base of the next patch.
    for (const c of contents) {
      await ctx.repository.putSegmentContent(
        c.digest,
        packSegment(encodeSegment(c.set)),
        c.exp + LIMITS.clockSkew + 86_400,
      );
    }
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

/**
 * The content of the revision `held`: from its batch when that carries it whole, else the content
 * its patch gave (kept by {@link publishStatus} before the entry was appended).
 */
async function contentOf(ctx: ExchangeContext, held: StatusSegmentRecord): Promise<SegmentSet> {
  if (held.depth) {
    const bits = await ctx.repository.getSegmentContent(held.digest);
    const read = bits === undefined ? undefined : readSegmentBits(bits);
    if (read?.digest === held.digest) return read.set;
  } else {
    const stored = await ctx.repository.getBatch(held.batch);
    const item = stored === undefined ? undefined : openBatch(stored, held.batch).segments.get(held.segment);
    if (item?.kind === 'full' && item.digest === held.digest) return item.set;
  }
  throw new Error(`content of status segment ${held.region}:${held.segment} rev ${held.rev} is missing`);
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
