/**
 * Auditing the replica against its evidence (docs/province.md, "Keeping the replica verifiable"):
 * open the stored full list with the federation keys as of the time it was accepted, apply every
 * stored delta as of its own acceptance time, and compare the result with the list the verifier
 * serves, in canonical JSON (RFC 8785). A replica written by sync always passes; one edited in the
 * table behind the node's back, or whose evidence no longer verifies, does not.
 */
import { HcxError } from '../core/errors';
import type { TrustList } from '../core/schemas/types.gen';
import { canonicalJson } from '../core/trustlist/jcs';
import { applyDelta, openDelta, openTrustList } from '../core/trustlist/trust-list';
import type { Replica } from './repository';
import type { FederationKeys } from './sync';

/** What an audit found. */
export interface ReplicaAudit {
  /** `consistent`: the evidence re-derives the stored list; `none`: no replica yet. */
  readonly result: 'consistent' | 'inconsistent' | 'none';
  /** Version of the stored list, when there is one. */
  readonly version: number | null;
  /** Signed deltas applied on top of the full list. */
  readonly deltas: number;
  /**
   * Why it is inconsistent: a stable code (`LIST_MISMATCH` when the evidence verifies but yields
   * another list, else the reason the evidence was refused, e.g. `SIGNATURE_INVALID`).
   */
  readonly reason?: string;
  /** The evidence step that failed: `base`, or `delta <n>` (1-based). */
  readonly at?: string;
}

/** Re-derive `replica.list` from `replica.evidence` and compare; bad evidence is a finding, not a throw. */
export async function auditReplica(
  replica: Replica | undefined,
  keys: FederationKeys,
): Promise<ReplicaAudit> {
  if (!replica) return { result: 'none', version: null, deltas: 0 };
  const { evidence } = replica;
  const base = { version: replica.list.version, deltas: evidence.deltas.length };
  let at = 'base';
  try {
    let list: TrustList = await openTrustList(evidence.base, keys, { now: evidence.baseAcceptedAt });
    for (const [i, d] of evidence.deltas.entries()) {
      at = `delta ${i + 1}`;
      const delta = await openDelta(d.jws, keys, { now: d.acceptedAt });
      list = applyDelta(list, delta, { now: d.acceptedAt });
    }
    if (canonicalJson(list) !== canonicalJson(replica.list)) {
      return { result: 'inconsistent', ...base, reason: 'LIST_MISMATCH' };
    }
    return { result: 'consistent', ...base };
  } catch (e) {
    // Evidence refused (signature, shape, chain): a finding. Anything else is a fault, not a verdict.
    if (!(e instanceof HcxError)) throw e;
    const detail = (e as { reason?: unknown }).reason;
    return { result: 'inconsistent', ...base, reason: typeof detail === 'string' ? detail : e.code, at };
  }
}
