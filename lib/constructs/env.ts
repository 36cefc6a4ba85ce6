/**
 * The environment variable names the handlers read: one list, in functions/aws/env.ts (the
 * functions read `env[ENV.X]` from it too); the embedded runtime passes the values explicitly.
 */
export { ENV, type EnvName } from '../../functions/aws/env';

/** Metric names and the trust list's S3 key, defined once beside the functions that use them. */
export {
  DELTA_KEY_PREFIX,
  STATIC_OBJECT_KEYS,
  STATUS_BATCH_KEY_PREFIX,
  METRIC_NAMESPACE,
  REPLICA_AGE_METRIC,
  TRUST_LIST_OBJECT_KEY,
  TRUST_LIST_PUBLISH_FAILED_METRIC,
} from '../../functions/aws/names';
