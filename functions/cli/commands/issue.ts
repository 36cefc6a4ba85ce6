/** `hcx issue`: ask a province node to issue a code, print it, and write its QR image. */
import { SCHEMA_IDS } from '../../core/schemas/validators';
import type { IssueRequest, IssueResponse } from '../../core/schemas/types.gen';
import { EXIT, InputFileError, ServiceError, UsageError } from '../errors';
import { assertWritable, readJson } from '../files';
import { call } from '../http';
import { checked } from '../schema';
import { writeQr } from '../qr';
import type { CommandResult } from '../result';

/** Options of {@link issue}: a request file, or the holder and status as flags. */
export interface IssueOptions {
  readonly node: string;
  /** The province-internal bearer token; absent: SigV4 for an AWS node (functions/cli/sigv4.ts). */
  readonly token?: string;
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

/** The issue request from a file or from the flags, checked against the schema before anything is sent. */
function issueRequest(o: IssueOptions): IssueRequest {
  const fromFlags = [o.name, o.idType, o.idNumber, o.status].some((x) => x !== undefined);
  if (o.request !== undefined && fromFlags)
    throw new UsageError('give either --request FILE or the holder flags, not both');
  if (o.request !== undefined) {
    const file = o.request;
    return checked<IssueRequest>(
      SCHEMA_IDS.issueRequest,
      readJson(file, 'the issue request file'),
      (why) => new InputFileError(`${file} is not a valid issue request: ${why}`),
    );
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
  return checked<IssueRequest>(
    SCHEMA_IDS.issueRequest,
    body,
    (why) => new UsageError(`${flagOf(why)} is not valid: ${why}`),
  );
}

// The flag behind each field of the request, so an error names what the user typed.
const FLAGS: readonly [string, string][] = [
  ['/holder/name', '--name'],
  ['/holder/idType', '--id-type'],
  ['/holder/idNumber', '--id-number'],
  ['/status', '--status'],
  ['/validitySeconds', '--validity'],
];

/** The flag a schema detail (`/holder/idNumber: format`) is about. */
function flagOf(why: string): string {
  const hit = FLAGS.find(([pointer]) => why.startsWith(pointer));
  return hit ? hit[1] : 'a flag';
}

/** Issue a code at `node`; write the QR to `qr` when given. */
export async function issue(
  o: IssueOptions,
): Promise<
  CommandResult<{ code: string; codeId: string; expiresAt: string; qrFile: string | null; walletUrl: string }>
> {
  const body = issueRequest(o);
  if (o.qr !== undefined && !/\.(svg|png)$/i.test(o.qr))
    throw new UsageError('--qr must end in .svg or .png');
  // a code issued and then lost (its QR not written, its id not shown) could not be used, revoked or
  // erased: check the image's path first, and print the code whatever happens after it is issued
  if (o.qr !== undefined) assertWritable(o.qr);
  const { json } = await call(o.node, '/v1/codes', {
    method: 'POST',
    token: o.token,
    authenticated: true,
    body: JSON.stringify(body),
    contentType: 'application/json',
  });
  const answer = json as Partial<IssueResponse> | undefined;
  if (typeof answer?.code !== 'string' || typeof answer.codeId !== 'string') {
    throw new ServiceError(`${o.node} did not answer with an issued code`);
  }
  let qrError: string | undefined;
  if (o.qr !== undefined) {
    try {
      await writeQr(o.qr, answer.code);
    } catch (e) {
      if (!(e instanceof InputFileError)) throw e;
      qrError = `${e.message}; the code above is issued: keep it, or revoke it (POST /v1/codes/${answer.codeId}/revoke)`;
    }
  }
  const written = o.qr !== undefined && qrError === undefined;
  const walletUrl = walletLink(o.node, answer.code);
  return {
    exitCode: qrError === undefined ? EXIT.OK : EXIT.INPUT,
    data: {
      code: answer.code,
      codeId: answer.codeId,
      expiresAt: String(answer.expiresAt),
      qrFile: written ? (o.qr as string) : null,
      walletUrl,
    },
    lines: [
      answer.code,
      `code ${answer.codeId} (${body.status}), expires ${answer.expiresAt}`,
      ...(written ? [`QR written to ${o.qr}`] : []),
      `wallet link (send it to the holder; the code after # never reaches a server): ${walletUrl}`,
    ],
    ...(qrError !== undefined ? { errors: [qrError] } : {}),
  };
}

/** The traveller page of the issuing node with the code in the fragment (`<node>/wallet/#HCX2:…`). */
export function walletLink(node: string, code: string): string {
  // A code is `HCX1:` and base64url segments: every character is allowed in a fragment as it is.
  return `${node.replace(/\/+$/, '')}/wallet/#${code}`;
}
