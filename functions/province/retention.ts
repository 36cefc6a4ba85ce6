/**
 * A retention policy changed after registration (docs/sunset.md "Retention policy"): when the
 * node's configured policy differs from the one the trust list shows for its province, the node
 * states it to the exchange with a signed `province.retention` (enrollment key). The exchange logs
 * it, and every trust list from then on shows the new policy with the province's signed request.
 * Run by every sync (so at start, and after a configuration change, within one sync interval).
 */
import { decideRetentionPublication } from '../core/rules';
import { DEFAULT_RETENTION, type ProvinceDeps } from './deps';
import { publishRetention } from './exchange-client';

/**
 * What {@link publishRetentionIfChanged} did: `published`, `unchanged` (the list shows the node's
 * policy), or `skipped` (no replica yet, or the province is not active in it).
 */
export type RetentionOutcome = 'published' | 'unchanged' | 'skipped';

/** Publish the node's retention policy when the replica's trust list shows another one. */
export async function publishRetentionIfChanged(deps: ProvinceDeps): Promise<RetentionOutcome> {
  const replica = await deps.repository.getReplica();
  const decision = decideRetentionPublication(replica?.list, deps.region, deps.retention, DEFAULT_RETENTION);
  if (decision !== 'PUBLISH') return decision === 'UNCHANGED' ? 'unchanged' : 'skipped';
  await publishRetention(
    {
      exchange: deps.exchange,
      enrollmentSigner: await deps.enrollmentSigner(),
      region: deps.region,
      federationId: deps.federationId,
      now: deps.now,
    },
    deps.retention,
  );
  return 'published';
}
