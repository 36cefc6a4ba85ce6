/**
 * Scheduled (EventBridge): re-issue the deltas nodes sync from (the empty delta from the head for
 * the new 15-minute window, or the deltas to a head a failed publication missed), then re-sign the
 * full trust list and put it in the trust-list bucket, so the copy CloudFront serves never expires
 * when nothing changes (a list lives 24 hours; mutations also publish, this run repairs a
 * publication that failed). Never throws: a failure is logged and counted (`DeltaPublishFailed`,
 * `TrustListPublishFailed`). Without a sink (the embedded runtime serves the full list from its
 * route) only the deltas are published.
 */
import { kmsSignerFor } from '../../aws/kms-signer';
import { s3TrustListSinkFor } from '../../aws/s3-trust-list-sink';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { publishDeltaArtefacts } from '../trust-list-publisher';
import { publishTrustList, type PublishOutcome } from '../trust-list-sink';
import { lazyHandler, scheduledHandler } from '../../http';

/** What a run did: a publication, or `skipped` when no sink is configured; `deltas` signed. */
export type ScheduledPublishOutcome = (PublishOutcome | { readonly result: 'skipped' }) & {
  readonly deltas: number;
};

export const create = (deps: ExchangeDeps) =>
  scheduledHandler(async (): Promise<ScheduledPublishOutcome> => {
    // The scheduled run also mirrors the stored deltas to the static site (repairs what a change missed).
    const deltas = await publishDeltaArtefacts(deps.trustLists, true);
    const sink = deps.trustListSink;
    if (!sink) return { result: 'skipped', deltas };
    return {
      ...(await publishTrustList(
        { repository: deps.repository, trustLists: deps.trustLists, sink },
        'schedule',
      )),
      deltas,
    };
  });

/** Dependencies from the Lambda environment (no I/O), with the KMS signer and the S3 sink this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor, s3Sink: s3TrustListSinkFor });

export const handler = lazyHandler(() => create(fromEnv()));
