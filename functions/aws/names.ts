/**
 * Names the functions and the CDK stacks must agree on, defined once here (pure data, so the stacks
 * import it without loading any runtime code): the custom metrics' namespace and names the alarms
 * watch, and the S3 keys CloudFront serves the static artefacts (trust list, deltas, batches) from. lib/constructs/env.ts re-exports them.
 */

/** CloudWatch namespace of the custom metrics (`functions/aws/observability.ts` emits into it). */
export const METRIC_NAMESPACE = 'hcx';

/** The sync handler's gauge: seconds since the replica's trust list was issued (the staleness alarm). */
export const REPLICA_AGE_METRIC = 'ReplicaAgeSeconds';

/** The exchange's counter of failed trust-list publications to S3 (`functions/exchange/trust-list-sink.ts`). */
export const TRUST_LIST_PUBLISH_FAILED_METRIC = 'TrustListPublishFailed';

/** The S3 object key of the signed trust list; CloudFront serves it at the same path. */
export const TRUST_LIST_OBJECT_KEY = 'v1/trust-list';
/** The prefix of the static deltas (`<prefix><from>`) in the trust-list bucket. */
export const DELTA_KEY_PREFIX = `${TRUST_LIST_OBJECT_KEY}/deltas/`;
/** The prefix of the static status batches (`<prefix><sha256>`): the path of the API route too. */
export const STATUS_BATCH_KEY_PREFIX = 'v1/status-batches/';
/** The key patterns the publishing functions may write (the stack grants `s3:PutObject` on these). */
export const STATIC_OBJECT_KEYS: readonly string[] = [
  TRUST_LIST_OBJECT_KEY,
  `${DELTA_KEY_PREFIX}*`,
  `${STATUS_BATCH_KEY_PREFIX}*`,
];
