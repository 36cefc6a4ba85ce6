/**
 * Status publications (docs/scale.md): a province's signed `status.publish` carries the full current
 * content of up to 32 status segments. The exchange checks it, stores the request verbatim under its
 * SHA-256, and appends ONE log entry committing to it, whatever the number of codes (a million
 * revocations are one request, or a few). Every cap is one constant, checked before anything is
 * written, and refused with a 4xx.
 */
import { RequestInvalid, TrustListRejected } from '../core/errors';
import { STATUS_REQUEST_PROFILE } from '../core/profiles';
import {
  beyondCodeLifetime,
  decideSegment,
  liveSegmentsRefusal,
  MAX_LIVE_SEGMENTS_PER_PROVINCE,
  segmentShrinks,
} from '../core/rules';
import type {
  LogEntry,
  StatusPublishRequest,
  StatusPublishResult,
  StatusSegmentRef,
} from '../core/schemas/types.gen';
import { openBatch, sha256, type BatchSegment } from '../core/status/batch';
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
  const decide = async (seq: number) => {
    await activeProvince(ctx, region);
    unchanged = 0;
    refs = [];
    let added = 0;
    for (const s of opened.segments.values()) {
      const held = await ctx.repository.getStatusSegment(region, s.segment);
      const { decision, supersedesLive } = decideSegment(held, s, now);
      const detail = `segment ${s.segment}: held revision ${held?.rev}`;
      if (!enforce(decision, { SEGMENT_REV_STALE: detail })) {
        unchanged++;
        continue;
      }
      if (held && supersedesLive) await checkCovers(ctx, held, s);
      else added++;
      refs.push({ segment: s.segment, rev: s.rev, exp: s.exp, count: s.count, digest: s.digest });
    }
    if (refs.length === 0) return undefined;
    // The count is read only when the publication adds live segments.
    if (added > 0) {
      const full = liveSegmentsRefusal(await ctx.repository.countLiveSegments(region, now), added);
      enforce(full ?? 'APPEND', { STATUS_SEGMENTS_FULL: `at most ${MAX_LIVE_SEGMENTS_PER_PROVINCE}` });
    }
    // The batch is stored before the entry that commits to it: a committed batch is always there.
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

/** The live content `held` replaces, read back from its batch, must be covered by `next` ({@link segmentShrinks}). */
async function checkCovers(
  ctx: ExchangeContext,
  held: { batch: string; segment: number; exp: number },
  next: BatchSegment,
): Promise<void> {
  const stored = await ctx.repository.getBatch(held.batch);
  const previous =
    stored === undefined ? undefined : openBatch(stored, held.batch).segments.get(held.segment);
  if (!previous) throw new Error(`status batch ${held.batch} is missing`);
  enforce(segmentShrinks({ exp: held.exp, set: previous.set }, next) ?? 'APPEND', {
    SEGMENT_SHRINKS: `segment ${next.segment}`,
  });
}

/** GET /v1/status-batches/{hash}: the stored batch, verbatim (content-addressed: cache forever). */
export async function statusBatch(ctx: ExchangeContext, hash: string): Promise<string | undefined> {
  return ctx.repository.getBatch(hash);
}
