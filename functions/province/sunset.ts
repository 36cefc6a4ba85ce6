/**
 * A province's sunset (`POST /v1/sunset` on its node, `hcx sunset province`): the province ends its
 * health-code service and destroys what it collected.
 *
 * 1. The node notes the sunset: from then on it refuses to issue (`PROVINCE_SUNSET`).
 * 2. It sends the signed `province.sunset` (enrollment key) to the exchange, which logs it: every
 *    key of the province is retired and its codes verify as `ISSUER_SUNSET` everywhere.
 * 3. It erases every issued-code record and pending revocation.
 * 4. It signs the deletion report with its enrollment key (the key the exchange log names for it),
 *    keeps it, and only then destroys its private keys (issuer and enrollment).
 *
 * Every step is safe to run again: a retry after a failure carries on where it stopped and answers
 * the same report.
 */
import { PROVINCE_TABLE } from '../core/storage/tables';
import { erasedTotals, KEPT_AFTER_PROVINCE_SUNSET, signDeletionReport } from '../core/sunset/report';
import { logger, metrics } from '../aws/observability';
import type { ProvinceDeps } from './deps';
import { sunsetAtExchange } from './exchange-client';

/** What a province sunset answers. */
export interface ProvinceSunsetResult {
  readonly region: string;
  readonly status: 'sunset';
  /** The signed deletion report (compact JWS, schemas/deletion-report.json). */
  readonly report: string;
}

/** Run the province's sunset (see the module comment); returns the signed deletion report. */
export async function sunsetProvince(deps: ProvinceDeps): Promise<ProvinceSunsetResult> {
  const begun = await deps.repository.beginSunset(deps.now());
  if (begun.report) {
    // A retry: the report is made; make sure the keys are gone too.
    await deps.keyShredder?.destroy();
    return { region: deps.region, status: 'sunset', report: begun.report };
  }
  const enrollmentSigner = await deps.enrollmentSigner();
  const answer = await sunsetAtExchange({
    exchange: deps.exchange,
    enrollmentSigner,
    region: deps.region,
    federationId: deps.federationId,
    now: deps.now,
  });
  // Counted and kept before the erasure: a retry after a crash between the erasure and the report
  // reports what was erased, not 0.
  const tally = await deps.repository.keepErasureTally(() => deps.repository.countHolderData());
  const erased = erasedTotals(tally, await deps.repository.eraseHolderData());
  const issuedAt = deps.now();
  const report = await signDeletionReport(enrollmentSigner, {
    federation: deps.federationId,
    scope: 'province',
    region: deps.region,
    issuedAt,
    sunsetAt: answer.sunsetAt,
    logHead: answer.logHead,
    tables: erased.map((e) => ({ table: PROVINCE_TABLE.id, kind: e.kind, count: e.count })),
    keys: deps.keyShredder ? await deps.keyShredder.plan(issuedAt) : [],
    kept: [...KEPT_AFTER_PROVINCE_SUNSET],
  });
  await deps.repository.putSunsetReport(report);
  await deps.keyShredder?.destroy();
  metrics.addMetric('ProvinceSunset', 'Count', 1);
  logger.info('province sunset', {
    region: deps.region,
    erased: erased.reduce((n, e) => n + e.count, 0),
    retired: answer.retired.length,
  });
  return { region: deps.region, status: 'sunset', report };
}
