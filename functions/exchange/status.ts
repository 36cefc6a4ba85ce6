/**
 * Status publications (docs/scale.md): a province's signed `status.publish` carries the full current
 * content of up to 32 status segments. The exchange checks it, stores the request verbatim under its
 * SHA-256, and appends ONE log entry committing to it, whatever the number of codes (a million
 * revocations are one request, or a few). Every cap is one constant, checked before anything is
 * written, and refused with a 4xx.
 */
import { RequestInvalid, ResourceConflict, TrustListRejected } from '../core/errors';
import { STATUS_REQUEST_PROFILE } from '../core/profiles';
import { beyondCodeLifetime, revocationLive } from '../core/rules';
import type {
  LogEntry,
  StatusPublishRequest,
  StatusPublishResult,
  StatusSegmentRef,
} from '../core/schemas/types.gen';
import { openBatch, sha256, type BatchSegment } from '../core/status/batch';
import { activeProvince, appendWith, authenticate, type ExchangeContext } from './service';

/** Most live (unexpired) status segments one province may have: 312 x 2^20 indices, ~7 days of national issuance. */
export const MAX_LIVE_SEGMENTS_PER_PROVINCE = 312;

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
      if (held && held.rev >= s.rev) {
        if (held.rev === s.rev && held.digest === s.digest) {
          unchanged++;
          continue;
        }
        throw new ResourceConflict('SEGMENT_REV_STALE', `segment ${s.segment}: held revision ${held.rev}`);
      }
      if (held && revocationLive(held.exp, now)) await checkCovers(ctx, held, s);
      else added++;
      refs.push({ segment: s.segment, rev: s.rev, exp: s.exp, count: s.count, digest: s.digest });
    }
    if (refs.length === 0) return undefined;
    if (
      added > 0 &&
      (await ctx.repository.countLiveSegments(region, now)) + added > MAX_LIVE_SEGMENTS_PER_PROVINCE
    ) {
      throw new ResourceConflict('STATUS_SEGMENTS_FULL', `at most ${MAX_LIVE_SEGMENTS_PER_PROVINCE}`);
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

/**
 * A revocation is never undone: the new content must hold every revoked offset of the live one,
 * and expire no earlier (`SEGMENT_SHRINKS`).
 */
async function checkCovers(
  ctx: ExchangeContext,
  held: { batch: string; segment: number; exp: number },
  next: BatchSegment,
): Promise<void> {
  const stored = await ctx.repository.getBatch(held.batch);
  const previous =
    stored === undefined ? undefined : openBatch(stored, held.batch).segments.get(held.segment);
  if (!previous) throw new Error(`status batch ${held.batch} is missing`);
  if (next.exp < held.exp || !next.set.covers(previous.set)) {
    throw new ResourceConflict('SEGMENT_SHRINKS', `segment ${next.segment}`);
  }
}

/** GET /v1/status-batches/{hash}: the stored batch, verbatim (content-addressed: cache forever). */
export async function statusBatch(ctx: ExchangeContext, hash: string): Promise<string | undefined> {
  return ctx.repository.getBatch(hash);
}
