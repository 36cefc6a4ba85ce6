/**
 * Scheduled sync (EventBridge, every minute): pull the signed trust-list delta, update the replica,
 * record the outcome. Never throws: a failed run keeps the last good replica and says why in the
 * sync status (`GET /v1/registry`); the `ReplicaAgeSeconds` gauge drives the staleness alarm.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import { logger, metrics } from '../core/observability';
import { lazyHandler } from '../http';
import { provinceDepsFromEnv, type ProvinceDeps } from '../province/deps';
import { syncOnce, type SyncOutcome } from '../province/sync';

/** The gauge the province stack's staleness alarm watches (lib/constructs/env.ts REPLICA_AGE_METRIC). */
const REPLICA_AGE_METRIC = 'ReplicaAgeSeconds';

export const create = (deps: ProvinceDeps) =>
  middy<ScheduledEvent, SyncOutcome>(async () => {
    const outcome = await syncOnce(deps);
    const meta = await deps.repository.getReplicaMeta().catch(() => undefined);
    if (meta) metrics.addMetric(REPLICA_AGE_METRIC, 'Seconds', Math.max(0, deps.now() - meta.issuedAt));
    metrics.addMetric(outcome.result === 'failed' ? 'SyncFailed' : 'SyncSucceeded', 'Count', 1);
    metrics.publishStoredMetrics();
    // The verifier in this process (embedded runtime) checks the new replica on its next request.
    deps.registry.invalidate();
    return outcome;
  }).use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }) as MiddlewareObj) as unknown as (
    event: ScheduledEvent,
    context: Context,
  ) => Promise<SyncOutcome>;

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = provinceDepsFromEnv;

export const handler = lazyHandler<ScheduledEvent, SyncOutcome>(() => create(fromEnv()));
