/**
 * `hcx sunset province | federation | verify`: end a province's service, end the federation, and
 * verify a deletion report (docs/cli.md#sunset).
 */
import type { DeletionReport } from '../../core/schemas/types.gen';
import { DeletionReportRejected, verifyDeletionReport } from '../../core/sunset/report';
import { EXIT } from '../errors';
import { readText, writeAtomically } from '../files';
import { call } from '../http';
import { isoTime, type CommandResult } from '../result';

function saved(out: string | undefined, report: string): string[] {
  if (out === undefined) return [];
  writeAtomically(out, `${report}\n`);
  return [`deletion report saved to ${out} (check it with: hcx sunset verify ${out} --jwks KEYS)`];
}

/** `hcx sunset province`: POST /v1/sunset on the province node (internal token). */
export async function sunsetProvinceCommand(o: {
  node: string;
  token: string;
  out?: string;
}): Promise<CommandResult<{ region: string; status: string; report: string }>> {
  const answer = await call(o.node, '/v1/sunset', { method: 'POST', token: o.token, timeoutMs: 120_000 });
  const data = answer.json as { region: string; status: string; report: string };
  return {
    exitCode: EXIT.OK,
    data,
    lines: [
      `province ${data.region}: sunset done, keys destroyed, records erased`,
      ...saved(o.out, data.report),
    ],
  };
}

/** `hcx sunset federation`: POST /v1/federation/sunset on the exchange (operator token). */
export async function sunsetFederationCommand(o: {
  exchange: string;
  token: string;
  out?: string;
  trustListOut?: string;
}): Promise<CommandResult<{ status: string; report: string; trustList: string }>> {
  const answer = await call(o.exchange, '/v1/federation/sunset', {
    method: 'POST',
    token: o.token,
    timeoutMs: 300_000,
  });
  const data = answer.json as { status: string; report: string; trustList: string };
  if (o.trustListOut !== undefined) writeAtomically(o.trustListOut, `${data.trustList}\n`);
  return {
    exitCode: EXIT.OK,
    data,
    lines: [
      'federation: sunset done; the final trust list carries the sunset marker',
      ...saved(o.out, data.report),
      ...(o.trustListOut !== undefined ? [`final trust list saved to ${o.trustListOut}`] : []),
    ],
  };
}

/** `hcx sunset verify FILE --jwks KEYS`: check a deletion report's signature and schema. */
export async function sunsetVerifyCommand(o: {
  file: string;
  jwks: { keys: unknown[] };
}): Promise<CommandResult<{ valid: boolean; kid?: string; report?: DeletionReport; reason?: string }>> {
  const jws = readText(o.file, 'the deletion report');
  try {
    const { report, kid } = await verifyDeletionReport(jws, o.jwks);
    const erased = report.tables.reduce((n, t) => n + t.count, 0);
    return {
      exitCode: EXIT.OK,
      data: { valid: true, kid, report },
      lines: [
        `valid deletion report (${report.scope}${report.region ? ` ${report.region}` : ''}), signed by ${kid}`,
        `  sunset at ${isoTime(report.sunsetAt)}, log head ${report.logHead.seq} ${report.logHead.hash}`,
        `  erased ${erased} items: ${report.tables.map((t) => `${t.kind} ${t.count}`).join(', ') || 'none'}`,
        ...report.keys.map(
          (k) =>
            `  key ${k.kid} (${k.use}, ${k.store}): ${k.action}${k.deletionDate !== undefined ? ` on ${isoTime(k.deletionDate)}` : ''}`,
        ),
      ],
    };
  } catch (e) {
    if (!(e instanceof DeletionReportRejected)) throw e;
    return {
      exitCode: EXIT.NOT_VALID,
      data: { valid: false, reason: e.reason },
      lines: [`not a valid deletion report: ${e.reason} (${e.message})`],
    };
  }
}
