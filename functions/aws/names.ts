/**
 * Names the functions and the CDK stacks must agree on, defined once here (pure data, so the stacks
 * import it without loading any runtime code): the custom metrics' namespace and names the alarms
 * watch, and the S3 key CloudFront serves the trust list from. lib/constructs/env.ts re-exports them.
 */

/** CloudWatch namespace of the custom metrics (`functions/aws/observability.ts` emits into it). */
export const METRIC_NAMESPACE = 'hcx';

/** The sync handler's gauge: seconds since the replica's trust list was issued (the staleness alarm). */
export const REPLICA_AGE_METRIC = 'ReplicaAgeSeconds';

/** The exchange's counter of failed trust-list publications to S3 (`functions/exchange/trust-list-sink.ts`). */
export const TRUST_LIST_PUBLISH_FAILED_METRIC = 'TrustListPublishFailed';

/** The S3 object key of the signed trust list; CloudFront serves it at the same path. */
export const TRUST_LIST_OBJECT_KEY = 'v1/trust-list';
