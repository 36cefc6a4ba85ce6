/**
 * Domain fixtures every test suite shares: the provinces, the federation name, a fixed clock, a
 * valid resident ID, and code forgery with a real key. Suite fixtures (test/<suite>/fixtures.ts)
 * re-export these and add only what their suite needs.
 */
import { randomBytes } from 'node:crypto';
import { encodeB64url } from '../../functions/core/b64';
import { shortKid } from '../../functions/core/keys';
import type { Signer } from '../../functions/core/signer';

/** Zhejiang, Guangdong, Fujian: the three provinces of the test federations. */
export const ZJ = '330000';
export const GD = '440000';
export const FJ = '350000';
/** The federation id of the unit tests (an embedded federation makes its own). */
export const FEDERATION = 'hcx-test';
/** The fixed "now" of the unit tests (a NumericDate) and a day in seconds. */
export const NOW = 1_790_000_000;
export const DAY = 86_400;

/** A valid resident ID number (GB 11643, check character X): must never be stored or logged. */
export const ID_NUMBER = '11010519491231002X';
/** A holder's name; with ID_NUMBER, the personal data no log or table may hold. */
export const HOLDER_NAME = '张三丰';
/** The holder the end-to-end tests issue codes to. */
export const HOLDER = { name: '张三', idType: '10', idNumber: ID_NUMBER };

/** base64url of text or bytes. */
export const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url');
/** A fresh one-time nonce (a `jti`). */
export const nonce = (): string => encodeB64url(randomBytes(16));

/**
 * Sign any header and payload (objects, or raw JSON text / bytes, valid or not) with `signer` as a
 * code string: HCX2, the format issued, or `prefix` `HCX1:` for the legacy format.
 */
export async function forge(
  signer: Signer,
  header: object | string,
  payload: object | string | Buffer,
  prefix = 'HCX2:',
): Promise<string> {
  const h = b64(typeof header === 'string' ? header : JSON.stringify(header));
  const p = b64(typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload));
  const sig = await signer.sign(Buffer.from(`${h}.${p}`, 'ascii'));
  return `${prefix}${h}.${p}.${b64(sig)}`;
}

/** The header hcx puts on an HCX2 code signed by `signer`. */
export const codeHeader = (signer: Signer): Record<string, unknown> => ({
  alg: signer.alg,
  kid: shortKid(signer.kid),
  typ: 'hcx2',
});

/** The three segments of a code string (without its `HCX2:`/`HCX1:` prefix). */
export function segments(code: string): [string, string, string] {
  return code.slice(5).split('.') as [string, string, string];
}

/** The decoded claims of a code string. */
export function claimsOf(code: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segments(code)[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * A trust-list code revocation row for a test that installs a list straight into a node's replica,
 * where nothing checks the row's signed request (openTrustList and the fold do, and their tests sign
 * real requests). Its `request` only has the compact-JWS form.
 */
export const unverifiedCodeRevocation = (region: string, jti: string, exp: number, revokedAt = NOW) => ({
  region,
  jti,
  revokedAt,
  exp,
  request: `${b64('{}')}.${b64('{}')}.${'A'.repeat(86)}`,
});
