/**
 * Step 3 of a key rotation (docs/deploy.md), in both runtimes: switch this node's issuer to another
 * key it holds, by storing its kid as the active kid in the province table (every issuer instance
 * follows within seconds). Refused unless the node holds the key (else issuance would stop) and the
 * node's verified replica of the trust list carries it as an active key of this province (else
 * verifiers could not know it yet).
 */
import { HcxError } from '../core/errors';
import type { ProvinceDeps } from './deps';

/** What {@link switchActiveKey} answers. */
export interface ActiveKeySwitch {
  readonly kid: string;
  /** NumericDate seconds. */
  readonly activeSince: number;
}

export async function switchActiveKey(deps: ProvinceDeps, kid: string): Promise<ActiveKeySwitch> {
  const held = (await deps.issuer.heldKids?.()) ?? [];
  if (!held.includes(kid)) {
    throw new HcxError('ISSUER_KEY_NOT_HELD');
  }
  const replica = await deps.repository.getReplica();
  const key = replica?.list.provinces.find((p) => p.region === deps.region)?.keys.find((k) => k.kid === kid);
  if (key?.status !== 'active') {
    throw new HcxError('KEY_NOT_VISIBLE');
  }
  const activeSince = deps.now();
  await deps.repository.setActiveKid(kid, activeSince);
  return { kid, activeSince };
}
