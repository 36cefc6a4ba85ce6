/** `hcx issue`: ask a province node to issue a code, print it, and write its QR image. */
import { HcxError } from '../../core/errors';
import { SCHEMA_IDS, assertValid } from '../../core/schemas/validators';
import type { IssueRequest, IssueResponse } from '../../core/schemas/types.gen';
import { EXIT, InputFileError, ServiceError, UsageError } from '../errors';
import { readJson } from '../files';
import { call } from '../http';
import { writeQr } from '../qr';
import type { CommandResult } from '../result';

/** Options of {@link issue}: a request file, or the holder and status as flags. */
export interface IssueOptions {
  readonly node: string;
  /** The province-internal bearer token (IAM in AWS). */
  readonly token: string;
  /** A JSON file holding an IssueRequest. */
  readonly request?: string;
  readonly name?: string;
  readonly idType?: string;
  readonly idNumber?: string;
  readonly status?: string;
  readonly validity?: number;
  /** Write the QR here (`.svg` or `.png`). */
  readonly qr?: string;
}

function hint(detail: string): string {
  if (detail.includes('idNumber'))
    return ' (a resident ID number, type 10, has 18 characters and a valid check character)';
  if (detail.includes('status')) return ' (green, yellow or red)';
  if (detail.includes('validitySeconds')) return ' (60 to 604800 seconds)';
  return '';
}

/** The issue request from a file or from the flags, checked against the schema before anything is sent. */
function issueRequest(o: IssueOptions): IssueRequest {
  const fromFlags = [o.name, o.idType, o.idNumber, o.status].some((x) => x !== undefined);
  if (o.request !== undefined && fromFlags)
    throw new UsageError('give either --request FILE or the holder flags, not both');
  if (o.request !== undefined) {
    const body = readJson(o.request, 'the issue request file');
    try {
      return assertValid<IssueRequest>(SCHEMA_IDS.issueRequest, body);
    } catch (e) {
      const detail = e instanceof HcxError ? (e.detail ?? '') : '';
      throw new InputFileError(`${o.request} is not a valid issue request: ${detail}${hint(detail)}`);
    }
  }
  const missing = (['name', 'idType', 'idNumber', 'status'] as const).filter((k) => o[k] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `missing ${missing.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} (or give --request FILE)`,
    );
  }
  const body = {
    holder: { name: o.name, idType: o.idType, idNumber: o.idNumber },
    status: o.status,
    ...(o.validity !== undefined ? { validitySeconds: o.validity } : {}),
  };
  try {
    return assertValid<IssueRequest>(SCHEMA_IDS.issueRequest, body);
  } catch (e) {
    const detail = e instanceof HcxError ? (e.detail ?? '') : '';
    throw new UsageError(`the holder flags are not valid: ${detail}${hint(detail)}`);
  }
}

/** Issue a code at `node`; write the QR to `qr` when given. */
export async function issue(
  o: IssueOptions,
): Promise<CommandResult<{ code: string; codeId: string; expiresAt: string; qrFile: string | null }>> {
  const body = issueRequest(o);
  if (o.qr !== undefined && !/\.(svg|png)$/i.test(o.qr))
    throw new UsageError('--qr must end in .svg or .png');
  const { json } = await call(o.node, '/v1/codes', {
    method: 'POST',
    token: o.token,
    body: JSON.stringify(body),
    contentType: 'application/json',
  });
  const answer = json as Partial<IssueResponse> | undefined;
  if (typeof answer?.code !== 'string' || typeof answer.codeId !== 'string') {
    throw new ServiceError(`${o.node} did not answer with an issued code`);
  }
  if (o.qr !== undefined) await writeQr(o.qr, answer.code);
  return {
    exitCode: EXIT.OK,
    data: {
      code: answer.code,
      codeId: answer.codeId,
      expiresAt: String(answer.expiresAt),
      qrFile: o.qr ?? null,
    },
    lines: [
      answer.code,
      `code ${answer.codeId} (${body.status}), expires ${answer.expiresAt}`,
      ...(o.qr !== undefined ? [`QR written to ${o.qr}`] : []),
    ],
  };
}
