/**
 * Publishing the signed full trust list outside Lambda (S3 behind CloudFront in AWS), so that reads
 * never touch a function. The exchange publishes after every change to the log and on a schedule
 * (`exchange-publish-trust-list`), which re-signs the list before its copy could expire.
 *
 * This module imports no AWS SDK: the S3 implementation is `s3-trust-list-sink.ts`, imported only by
 * the handlers that publish (see `ExchangeServices` in deps.ts).
 */
import { TRUST_LIST_OBJECT_KEY, TRUST_LIST_PUBLISH_FAILED_METRIC } from '../aws/names';
import { errorLogAttributes, logger, metrics } from '../aws/observability';
import type { ExchangeRepository } from './repository';
import { trustListObject, type StaticSink, TRUST_LIST_CACHE_CONTROL } from './static-artefacts';
import type { TrustListPublisher } from './trust-list-publisher';

/**
 * Where the signed full trust list is published: the sink of every static artefact (the list, the
 * deltas, the status batches: ./static-artefacts.ts).
 */
export type TrustListSink = StaticSink;

export { TRUST_LIST_CACHE_CONTROL };

// The list's S3 key and the metric counting publications that failed (the next change or
// scheduled run repairs them), shared with the stacks.
export { TRUST_LIST_OBJECT_KEY, TRUST_LIST_PUBLISH_FAILED_METRIC };

/**
 * Rounds of publication one call makes at most. A round ends by re-reading the log head: when it
 * moved on meanwhile, a concurrent writer may have put its older list after ours, so we put again.
 */
const MAX_ROUNDS = 3;

/** What one publication did. */
export interface PublishOutcome {
  readonly result: 'published' | 'failed';
  /** The version of the last list put. */
  readonly version?: number;
  /** Puts made (more than one when the log moved on while publishing). */
  readonly rounds: number;
}

/** What {@link publishTrustList} needs. */
export interface PublishContext {
  readonly repository: Pick<ExchangeRepository, 'lastEntry'>;
  readonly trustLists: Pick<TrustListPublisher, 'current'>;
  readonly sink: TrustListSink;
}

/**
 * Sign the current full list and put it in the sink, again while the log head moved on during the
 * put. Never throws: a failure is logged (no list content) and counted as
 * {@link TRUST_LIST_PUBLISH_FAILED_METRIC}; the scheduled publisher puts the list again.
 */
export async function publishTrustList(ctx: PublishContext, trigger: string): Promise<PublishOutcome> {
  let rounds = 0;
  let version: number | undefined;
  try {
    while (rounds < MAX_ROUNDS) {
      const doc = await ctx.trustLists.current();
      await ctx.sink.put(trustListObject(doc.jws, doc.etag));
      rounds++;
      version = doc.version;
      const head = await ctx.repository.lastEntry();
      if ((head?.seq ?? 0) <= doc.version) break;
    }
    logger.info('trust list published', { version, rounds, trigger });
    return { result: 'published', version, rounds };
  } catch (e) {
    logger.warn('trust list publication failed', { ...errorLogAttributes(e), trigger, rounds });
    // Flushed by the chain that runs this (logMetrics in functions/http/handler.ts).
    metrics.addMetric(TRUST_LIST_PUBLISH_FAILED_METRIC, 'Count', 1);
    return { result: 'failed', version, rounds };
  }
}
