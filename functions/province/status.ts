/**
 * The node's side of status segments (docs/scale.md): assigning status indices to the codes it
 * issues, revoking codes by publishing their segments, and keeping the content of every segment the
 * trust list names (fetched by batch hash, checked against the list's digest) for the verifier.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { TrustListRejected } from '../core/errors';
import { LIMITS } from '../core/profiles';
import type { StatusPublishRequest, TrustList, TrustListStatusSegment } from '../core/schemas/types.gen';
import { openBatch, readSegmentBits, segmentContent } from '../core/status/batch';
import { SegmentSet, groupBySegment, locate } from '../core/status/segment';
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

/**
 * Add `revocations` to this province's own segments (each segment one conditional write at its next
 * revision, re-read and retried when a concurrent revocation got there first), then publish the
 * segments touched, up to 32 per signed request. Safe to retry: a segment already holding the
 * offsets is published again as it is.
 */
export async function revokeByStatus(
  ctx: SigningContext & { readonly repository: ProvinceRepository },
  revocations: readonly StatusRevocation[],
): Promise<{ segments: number }> {
  const expBySegment = new Map<number, number>();
  for (const r of revocations) {
    const { segment } = locate(r.statusIndex);
    expBySegment.set(segment, Math.max(expBySegment.get(segment) ?? 0, r.exp));
  }
  const contents: StatusPublishRequest['segments'] = [];
  for (const [segment, offsets] of groupBySegment(revocations.map((r) => r.statusIndex))) {
    contents.push(
      await updateOwnSegment(ctx.repository, segment, offsets, expBySegment.get(segment) as number),
    );
  }
  for (let i = 0; i < contents.length; i += MAX_SEGMENTS_PER_PUBLICATION) {
    await publishStatusSegments(ctx, contents.slice(i, i + MAX_SEGMENTS_PER_PUBLICATION));
  }
  return { segments: contents.length };
}

async function updateOwnSegment(
  repository: ProvinceRepository,
  segment: number,
  offsets: Uint32Array,
  exp: number,
): Promise<StatusPublishRequest['segments'][number]> {
  for (let attempt = 0; attempt < MAX_SEGMENT_ATTEMPTS; attempt++) {
    const held = await repository.getOwnSegment(segment);
    const base = held ? readSegmentBits(held.bits).set : SegmentSet.empty();
    const set = base.union(offsets);
    const nextExp = Math.max(held?.exp ?? 0, exp);
    if (held && set.count === held.count && nextExp === held.exp) {
      // Already there (a retry): publish what is held, at its revision.
      return { segment, rev: held.rev, exp: held.exp, count: held.count, bits: held.bits };
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
      return content;
    }
  }
  throw new Error(`own status segment ${segment} kept changing`);
}

/**
 * Make sure the content of every segment `list` names is held, fetching the batches that carry the
 * missing ones from the exchange (each checked against its hash, each segment against the list's
 * digest). Throws `TrustListRejected` when a batch does not match what the signed list commits to.
 */
export async function ensureSegments(
  deps: {
    readonly repository: ProvinceRepository;
    readonly exchange: ExchangeClient;
    readonly refused?: RefusalSink;
    readonly logger?: Logger;
  },
  list: TrustList,
): Promise<{ fetched: number }> {
  const missing: TrustListStatusSegment[] = [];
  for (const s of list.statusSegments ?? []) {
    if ((await deps.repository.getSegmentContent(s.digest)) === undefined) missing.push(s);
  }
  const byBatch = new Map<string, TrustListStatusSegment[]>();
  for (const s of missing) byBatch.set(s.batch, [...(byBatch.get(s.batch) ?? []), s]);
  for (const [batch, segments] of byBatch) {
    // From the static site first; a copy that is missing or fails the checks is asked from the API.
    const opened = await fetchArtefact(
      deps.exchange,
      'batch',
      (source) => deps.exchange.getStatusBatch(batch, source),
      async (answer) => {
        if (answer.status !== 200) throw exchangeRefused(answer.status, undefined);
        const held = openBatch(answer.body, batch);
        for (const s of segments) {
          const found = held.segments.get(s.segment);
          if (!found || found.digest !== s.digest) {
            throw new TrustListRejected('BATCH_MISMATCH', 'A status batch does not hold the listed segment');
          }
        }
        return held;
      },
      { ...(deps.refused ? { refused: deps.refused } : {}), ...(deps.logger ? { logger: deps.logger } : {}) },
    );
    for (const s of segments) {
      const bits = opened.payload.segments.find((c) => c.segment === s.segment)?.bits as string;
      await deps.repository.putSegmentContent(s.digest, bits, s.exp + LIMITS.clockSkew + 86_400);
    }
  }
  return { fetched: missing.length };
}
