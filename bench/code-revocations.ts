/**
 * Code revocations by id (codes without a status index) on the trust list, now that each row keeps
 * the province's signed `code.revoke` (issue 19, item 1): the bytes a row adds, the largest list at
 * the caps before (1,000 unsigned rows a province) and now (128 signed rows), and what checking a
 * row costs a holder (`checkCodeRevocation`, the one rule openTrustList and the fold run), by
 * enrollment-key algorithm. Sizes are exact; times are per row, on this machine, at its load.
 */
import { randomBytes } from 'node:crypto';
import { generateSigningKey } from '../functions/core/keys';
import { TRUST_LIST_PROFILE } from '../functions/core/profiles';
import { MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE, MAX_PROVINCES } from '../functions/core/rules/exchange';
import type { CodeRevocation, TrustListEnrollmentKey } from '../functions/core/schemas/types.gen';
import { signRequest } from '../functions/core/signed-request';
import { LocalKeySigner } from '../functions/core/signer';
import { MAX_LIVE_SEGMENTS_PER_PROVINCE } from '../functions/core/rules/status';
import { checkCodeRevocation } from '../functions/core/trustlist/province-signature';

const NOW = 1_790_000_000;
const WEEK = 7 * 86_400;
/** The cap before revocations carried their request. */
const FORMER_CAP = 1000;

export interface CodeRevocationBenchResult {
  /** Bytes of JSON a row adds with a 6-character federation id (`hcx-cn`), and with a 128-character one. */
  codeRevocationAddedBytes: number;
  codeRevocationAddedBytesLongestFederation: number;
  /** JWS megabytes of the revocation and segment rows of a list with every province at the caps. */
  largestListMBBefore: number;
  largestListMBNow: number;
  largestListRatio: number;
  /** The trust list's JWS cap, in the same megabytes. */
  trustListCapMB: number;
  /** Microseconds to check one signed row, by the province's enrollment-key algorithm. */
  checkMicrosPerRow: Record<string, number>;
}

async function enrolled(alg: string) {
  const key = await generateSigningKey(alg);
  const signer = await LocalKeySigner.fromPrivateJwk(key.privateJwk);
  const enrollment: TrustListEnrollmentKey = {
    key: { ...key.publicJwk, kid: key.kid, alg } as TrustListEnrollmentKey['key'],
    from: NOW - 60,
  };
  return { signer, enrollment };
}

async function row(signer: LocalKeySigner, federation: string, region: string): Promise<CodeRevocation> {
  const jti = randomBytes(16).toString('base64url');
  const exp = NOW + WEEK;
  const request = await signRequest(signer, {
    aud: federation,
    iat: NOW,
    jti: randomBytes(16).toString('base64url'),
    region,
    op: 'code.revoke',
    codes: [{ jti, exp }],
  });
  return { region, jti, revokedAt: NOW, exp, request };
}

const unsigned = ({ request: _request, ...rest }: CodeRevocation) => rest;
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
const jwsMB = (jsonBytes: number) => +((Math.ceil(jsonBytes / 3) * 4) / 1e6).toFixed(2);

export async function runCodeRevocationBench(): Promise<CodeRevocationBenchResult> {
  const { signer } = await enrolled('ES256');
  const longest = 'h'.repeat(128);
  const short = await row(signer, 'hcx-cn', '330000');
  const long = await row(signer, longest, '330000');

  // The largest list's revocation rows: every province at the cap, longest federation id. Segment
  // rows (unchanged) count in both, so the ratio is of the whole part the caps bound.
  const segment = {
    region: '330000',
    segment: 0,
    rev: 1_000_000,
    exp: NOW + WEEK,
    count: 1_048_576,
    digest: randomBytes(32).toString('base64url'),
    batch: randomBytes(32).toString('base64url'),
  };
  const segmentsBytes = (bytes(segment) + 1) * MAX_PROVINCES * MAX_LIVE_SEGMENTS_PER_PROVINCE;
  const before = segmentsBytes + (bytes(unsigned(long)) + 1) * MAX_PROVINCES * FORMER_CAP;
  const now = segmentsBytes + (bytes(long) + 1) * MAX_PROVINCES * MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE;

  const checkMicrosPerRow: Record<string, number> = {};
  for (const alg of ['ES256', 'EdDSA', 'SM2']) {
    const { signer: s, enrollment } = await enrolled(alg);
    const expect = { federation: 'hcx-cn', region: '330000', enrollmentKeys: [enrollment] };
    const rows = await Promise.all(Array.from({ length: 300 }, () => row(s, 'hcx-cn', '330000')));
    for (const r of rows.slice(0, 20)) await checkCodeRevocation(r.request, expect, r); // warm-up
    const t = process.hrtime.bigint();
    for (const r of rows) await checkCodeRevocation(r.request, expect, r);
    checkMicrosPerRow[alg] = Math.round(Number(process.hrtime.bigint() - t) / 1000 / rows.length);
  }
  return {
    codeRevocationAddedBytes: bytes(short) - bytes(unsigned(short)),
    codeRevocationAddedBytesLongestFederation: bytes(long) - bytes(unsigned(long)),
    largestListMBBefore: jwsMB(before),
    largestListMBNow: jwsMB(now),
    largestListRatio: +(now / before).toFixed(3),
    trustListCapMB: +(TRUST_LIST_PROFILE.maxLength / 1e6).toFixed(2),
    checkMicrosPerRow,
  };
}

/** The bench's lines for a person. */
export function codeRevocationBenchLines(r: CodeRevocationBenchResult): string[] {
  return [
    `code revocation by id: +${r.codeRevocationAddedBytes} B of JSON a row for its signed request (+${r.codeRevocationAddedBytesLongestFederation} B with a 128-character federation id)`,
    `largest list's revocation and segment rows: ${r.largestListMBNow} MB JWS at ${MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE} signed rows a province vs ${r.largestListMBBefore} MB at ${FORMER_CAP} unsigned = ${r.largestListRatio}x (cap ${r.trustListCapMB} MB)`,
    `checking a signed row: ${Object.entries(r.checkMicrosPerRow)
      .map(([alg, us]) => `${alg} ${us} µs`)
      .join(', ')}`,
  ];
}
