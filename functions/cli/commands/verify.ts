/**
 * `hcx verify`: check a code (a string, or read from a QR image) online through a province node, or
 * offline against a saved trust list opened with the federation key the user holds.
 */
import { verifyCode } from '../../core/code/verify';
import { buildSnapshot } from '../../core/registry';
import type { VerificationResult } from '../../core/schemas/types.gen';
import { SCHEMA_IDS } from '../../core/schemas/validators';
import { EXIT, ServiceError, UsageError } from '../errors';
import { federationJwks, readText } from '../files';
import { call } from '../http';
import { readQr } from '../qr';
import { savedSegments } from '../status-batches';
import { checked } from '../schema';
import { nowSeconds, type CommandResult } from '../result';
import { openTrustListWith } from '../trust';

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** The code string (`HCX2:…` in text or QR form, or `HCX1:…`), or give `qr`. */
  readonly code?: string;
  /** A PNG image holding the code's QR symbol. */
  readonly qr?: string;
  /** Online: a province node URL. */
  readonly node?: string;
  /** Offline: a saved trust list (from `hcx trust-list fetch`) and the federation JWKS (file or object). */
  readonly offline?: boolean;
  readonly trustList?: string;
  readonly federationJwks?: string | object;
  /** The ID document presented, to check the holder binding. */
  readonly idType?: string;
  readonly idNumber?: string;
  /** Current time (seconds), for tests. */
  readonly now?: number;
}

function codeOf(o: VerifyOptions): string {
  if ((o.code === undefined) === (o.qr === undefined))
    throw new UsageError('give the code, or --qr IMAGE.png (one of them)');
  const code = o.code !== undefined ? o.code.trim() : readQr(o.qr as string);
  if (code === '') throw new UsageError('the code is empty');
  return code;
}

function holderOf(o: VerifyOptions): { idType: string; idNumber: string } | undefined {
  if (o.idType === undefined && o.idNumber === undefined) return undefined;
  if (o.idType === undefined || o.idNumber === undefined)
    throw new UsageError('--id-type and --id-number go together');
  // Checked here, so a mistyped number is a usage error with the rule it breaks, online and offline.
  return checked<{ idType: string; idNumber: string }>(
    SCHEMA_IDS.idDocument,
    { idType: o.idType, idNumber: o.idNumber },
    (why) => new UsageError(`--id-type/--id-number are not a valid ID document: ${why}`),
  );
}

async function offline(
  o: VerifyOptions,
  code: string,
  holder: ReturnType<typeof holderOf>,
): Promise<VerificationResult> {
  if (o.trustList === undefined || o.federationJwks === undefined) {
    throw new UsageError('--offline needs --trust-list FILE and --federation-jwks FILE (or --state-file)');
  }
  const jwks = federationJwks(o.federationJwks);
  const token = readText(o.trustList, 'the trust list file');
  const now = o.now ?? nowSeconds();
  // An expired list still opens (fully checked at its own issue time); verifyCode, given the real
  // clock, then answers `indeterminate` with TRUST_LIST_STALE rather than the CLI refusing to answer.
  const list = await openTrustListWith(token, jwks, `the trust list ${o.trustList}`, {
    now,
    allowExpired: true,
  });
  const snapshot = await buildSnapshot(list, savedSegments(o.trustList));
  return verifyCode(code, snapshot, { now, ...(holder ? { holder } : {}) });
}

async function online(
  node: string,
  code: string,
  holder: ReturnType<typeof holderOf>,
): Promise<VerificationResult> {
  const { json } = await call(node, '/v1/codes/verify', {
    method: 'POST',
    body: JSON.stringify({ code, ...(holder ? { holder } : {}) }),
    contentType: 'application/json',
  });
  const result = json as Partial<VerificationResult> | undefined;
  if (!result || !['valid', 'invalid', 'indeterminate'].includes(result.result as string)) {
    throw new ServiceError(`${node} did not answer with a verification result`);
  }
  return result as VerificationResult;
}

/** Human lines of a verification result (display-safe fields only: the code carries no ID number). */
export function describeResult(r: VerificationResult, source: string): string[] {
  const lines = [
    [
      r.result.toUpperCase(),
      r.status ?? '',
      r.issuer ? `${r.issuer.name} (${r.issuer.region})` : '',
      r.holder?.maskedName ?? '',
    ]
      .filter((x) => x !== '')
      .join('  '),
  ];
  if (r.codeId) lines.push(`code ${r.codeId}, issued ${r.issuedAt}, expires ${r.expiresAt}`);
  if (r.holder && r.holder.bound !== null) {
    lines.push(r.holder.bound ? 'ID document matches the code' : 'ID document does NOT match the code');
  }
  for (const reason of r.reasons) lines.push(`${reason.code}: ${reason.message}`);
  if (r.trustList)
    lines.push(`trust list version ${r.trustList.version}, ${r.trustList.ageSeconds} s old (${source})`);
  return lines;
}

/** Verify a code; exit code 0 when valid, 1 when invalid or indeterminate. */
export async function verify(o: VerifyOptions): Promise<CommandResult<VerificationResult>> {
  if (o.offline && o.node !== undefined) throw new UsageError('give --node URL or --offline, not both');
  if (!o.offline && o.node === undefined)
    throw new UsageError('give --node URL (online) or --offline --trust-list FILE');
  const code = codeOf(o);
  const holder = holderOf(o);
  const result = o.offline ? await offline(o, code, holder) : await online(o.node as string, code, holder);
  return {
    exitCode: result.result === 'valid' ? EXIT.OK : EXIT.NOT_VALID,
    data: result,
    lines: describeResult(result, o.offline ? `offline, ${o.trustList}` : `node ${o.node}`),
  };
}
