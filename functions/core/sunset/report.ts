/**
 * The signed deletion report of a sunset (schemas/deletion-report.json): a compact JWS of typ
 * `hcx-deletion-report+jws`, signed by the key about to be destroyed (a province's enrollment key, or
 * the federation key), saying what was erased, which keys were destroyed or scheduled for deletion,
 * the exchange log head at the sunset and what was kept. It is an ordinary ES256/EdDSA JWS: any
 * stock JOSE library verifies it with the public key (`hcx sunset verify` does the same and checks
 * the schema).
 */
import { JwsRejected, type DeletionReportReason } from '../errors';
import { acceptPublicKey } from '../keys';
import { parseCompactJws, type JwsProfile } from '../jws/compact';
import { signCompactJws } from '../jws/sign';
import type { DeletionReport } from '../schemas/types.gen';
import { assertValid, isDeletionReport } from '../schemas/validators';
import type { Signer } from '../signer';

/** A deletion report's JWS profile: its own `typ`, so it never passes as any other artefact. */
export const DELETION_REPORT_PROFILE: JwsProfile = {
  typ: 'hcx-deletion-report+jws',
  maxLength: 256 * 1024,
  maxDepth: 5,
};

/** How long a KMS key (or a secret) waits between DisableKey and its deletion, in days (AWS minimum: 7). */
export const KEY_DELETION_WINDOW_DAYS = 7;

/** What is kept after a sunset, as the reports say it (never personal data). */
export const KEPT_AFTER_PROVINCE_SUNSET: readonly string[] = [
  'the exchange log entry province.sunset (public, no personal data)',
  'the province table item SUNSET (the time of the sunset, so the node refuses to issue, and the erasure tally)',
  "the node's trust-list replica (public keys and revoked code ids only)",
];
export const KEPT_AFTER_FEDERATION_SUNSET: readonly string[] = [
  'the hash-chained exchange log (public: provinces, public keys, revoked code ids; no personal data)',
  'the status batches the log commits to (public: status indices only), so the final list opens',
  'the final signed trust list (sunset marker, short expiry), the erasure tally (counts) and this report',
];

/** Items erased per kind. */
export interface KindCount {
  readonly kind: string;
  readonly count: number;
}

/**
 * What a sunset erased, per kind: the tally counted (and kept) before the erasure, or what this run
 * erased when that is more (an item written after the count, e.g. a late request's nonce). A retry
 * after a crash erases nothing or the rest, so it reports the first run's tally, never 0.
 */
export function erasedTotals(tally: readonly KindCount[], erasedNow: readonly KindCount[]): KindCount[] {
  const totals = new Map(tally.map((t) => [t.kind, t.count]));
  for (const e of erasedNow) totals.set(e.kind, Math.max(totals.get(e.kind) ?? 0, e.count));
  return [...totals].map(([kind, count]) => ({ kind, count })).sort((a, b) => a.kind.localeCompare(b.kind));
}

/** Sign `report` (checked against its schema first) with the key about to be destroyed. */
export async function signDeletionReport(signer: Signer, report: DeletionReport): Promise<string> {
  return signCompactJws(signer, DELETION_REPORT_PROFILE.typ, assertValid(isDeletionReport, report));
}

/** Why a report was refused (stable codes, the CLI's `REPORT_*`). */
export class DeletionReportRejected extends Error {
  constructor(
    readonly reason: DeletionReportReason,
    message: string,
  ) {
    super(message);
    this.name = 'DeletionReportRejected';
  }
}

/**
 * Verify a deletion report against public keys (a JWKS: the federation key from configuration, or a
 * province's enrollment key from its `province.registered` log entry) and return its payload and
 * the kid that signed it. Throws {@link DeletionReportRejected}.
 */
export async function verifyDeletionReport(
  jws: unknown,
  jwks: { readonly keys: readonly unknown[] },
): Promise<{ report: DeletionReport; kid: string }> {
  let parsed;
  try {
    parsed = parseCompactJws(typeof jws === 'string' ? jws.trim() : jws, DELETION_REPORT_PROFILE);
  } catch (e) {
    if (e instanceof JwsRejected && e.reason === 'SIGNATURE_INVALID')
      throw new DeletionReportRejected('SIGNATURE_INVALID', 'The report signature is not well formed');
    throw new DeletionReportRejected('MALFORMED', 'The report is not a deletion report JWS');
  }
  for (const jwk of jwks.keys) {
    const accepted = await acceptPublicKey(jwk).catch(() => undefined);
    if (!accepted || accepted.kid !== parsed.kid || accepted.alg !== parsed.alg.name) continue;
    const key = accepted.algorithm.importPublicKey(accepted.jwk);
    if (!parsed.alg.verify(key, parsed.signingInput, parsed.signature))
      throw new DeletionReportRejected('SIGNATURE_INVALID', 'The report signature does not verify');
    if (!isDeletionReport(parsed.payload))
      throw new DeletionReportRejected('SCHEMA_INVALID', 'The report does not follow its schema');
    return { report: parsed.payload, kid: parsed.kid };
  }
  throw new DeletionReportRejected('UNKNOWN_KEY', 'The report is not signed by any of the given keys');
}
