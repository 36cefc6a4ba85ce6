/**
 * Scheduled sync (EventBridge, every minute): pull the signed trust-list delta, update the replica,
 * record the outcome; then publish the code revocations left pending while the exchange was down,
 * and the node's retention policy when the list shows another one (functions/province/retention.ts).
 * Never throws: a failed run keeps the last good replica and says why in the sync status
 * (`GET /v1/registry`); the `ReplicaAgeSeconds` gauge drives the staleness alarm, and pending
 * revocations stay pending for the next run.
 */
import { REPLICA_AGE_METRIC } from '../../aws/names';
import { errorLogAttributes, logger, metrics } from '../../aws/observability';
import { trustListAge } from '../../core/rules';
import { lazyHandler, scheduledHandler } from '../../http';
import { publishPendingRevocations, type PendingRevocationsOutcome } from '../codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';
import { secretSignerFor } from '../../aws/enrollment-secret';
import { publishRetentionIfChanged, type RetentionOutcome } from '../retention';
import { syncOnce, type SyncOutcome } from '../sync';

/** What a run did: the sync, the pending revocations it published, and the retention policy. */
export type SyncRunOutcome = SyncOutcome & {
  readonly revocations: PendingRevocationsOutcome;
  /** `failed`: the exchange refused or was down; the next run tries again. */
  readonly retention: RetentionOutcome | 'failed';
};

export const create = (deps: ProvinceDeps) =>
  scheduledHandler(async (): Promise<SyncRunOutcome> => {
    const outcome = await syncOnce(deps);
    const revocations = await publishPendingRevocations(deps);
    if (revocations.published + revocations.expired > 0 || revocations.error) {
      logger.info('pending revocations', { ...revocations });
    }
    // A policy changed since registration is stated to the exchange (functions/province/retention.ts).
    const retention = await publishRetentionIfChanged(deps).catch((e: unknown) => {
      logger.warn('retention policy not published', errorLogAttributes(e));
      return 'failed' as const;
    });
    if (retention === 'published') logger.info('retention policy published', { region: deps.region });
    const meta = await deps.repository.getReplicaMeta().catch(() => undefined);
    if (meta) metrics.addMetric(REPLICA_AGE_METRIC, 'Seconds', trustListAge(meta, deps.now()));
    metrics.addMetric(outcome.result === 'failed' ? 'SyncFailed' : 'SyncSucceeded', 'Count', 1);
    // The verifier in this process (embedded runtime) checks the new replica on its next request.
    deps.registry.invalidate();
    return { ...outcome, revocations, retention };
  });

/** Dependencies from the Lambda environment (no I/O), with the enrollment key that signs revocations. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ProvinceDeps =>
  provinceDepsFromEnv(env, { secretSigner: secretSignerFor });

export const handler = lazyHandler(() => create(fromEnv()));
