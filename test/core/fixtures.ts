/** Shared fixtures for core tests: provinces with local keys, a trust list, a snapshot, a code. */
import { issueCode } from '../../functions/core/code/issue';
import { generateSigningKey, shortKid, type GeneratedKey } from '../../functions/core/keys';
import { buildSnapshot, type RegistrySnapshot } from '../../functions/core/registry';
import type { IssueRequest, TrustList } from '../../functions/core/schemas/types.gen';
import { LocalKeySigner } from '../../functions/core/signer';
import { selfAuthenticated } from '../kit/province-proof';

export const ZJ = '330000';
export const GD = '440000';
export const NOW = 1_790_000_000;
export const DAY = 86_400;

/** A valid resident ID number (GB 11643 check character X). */
export const ID_NUMBER = '11010519491231002X';

export const issueRequest = (over: Partial<IssueRequest> = {}): IssueRequest => ({
  holder: { name: '张三丰', idType: '10', idNumber: ID_NUMBER },
  status: 'green',
  ...over,
});

export interface TestProvince {
  readonly region: string;
  readonly key: GeneratedKey;
  readonly signer: LocalKeySigner;
}

export async function province(region: string, alg = 'ES256'): Promise<TestProvince> {
  const key = await generateSigningKey(alg);
  return { region, key, signer: await LocalKeySigner.fromPrivateJwk(key.privateJwk) };
}

type KeyEntry = TrustList['provinces'][number]['keys'][number];

/** A trust list holding `provinces` with one key each; `patch` edits key entries. */
export function trustList(
  provinces: TestProvince[],
  options: {
    version?: number;
    issuedAt?: number;
    expiresAt?: number;
    key?: (p: TestProvince) => Partial<KeyEntry>;
    suspended?: string[];
    revoked?: { region: string; jti: string; exp: number }[];
  } = {},
): TrustList {
  return selfAuthenticated({
    federation: 'hcx-test',
    version: options.version ?? 7,
    issuedAt: options.issuedAt ?? NOW - 60,
    expiresAt: options.expiresAt ?? NOW + DAY,
    logHead: 'A'.repeat(43),
    provinces: provinces.map((p) => ({
      region: p.region,
      name: p.region === ZJ ? '浙江省' : p.region === GD ? '广东省' : `Province ${p.region}`,
      status: options.suspended?.includes(p.region) ? 'suspended' : 'active',
      keys: [
        {
          kid: p.key.kid,
          alg: p.key.alg,
          jwk: { ...p.key.publicJwk },
          notBefore: NOW - 30 * DAY,
          notAfter: NOW + 300 * DAY,
          status: 'active',
          ...options.key?.(p),
        } as KeyEntry,
      ],
    })),
    codeRevocations: (options.revoked ?? []).map((r) => ({ ...r, revokedAt: NOW - 10 })),
  } as TrustList);
}

export async function snapshot(...args: Parameters<typeof trustList>): Promise<RegistrySnapshot> {
  return buildSnapshot(trustList(...args));
}

/** Issue a code at `p`, `ago` seconds before NOW. */
export async function code(p: TestProvince, over: Partial<IssueRequest> = {}, ago = 60) {
  return issueCode(p.signer, issueRequest(over), { issuer: p.region, now: NOW - ago });
}

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');

/**
 * Sign arbitrary header/payload JSON text (not necessarily valid) with `p`'s key, as a code string
 * (HCX2, the format issued; `prefix` `HCX1:` for the legacy format).
 */
export async function forge(
  p: TestProvince,
  header: object | string,
  payload: object | string | Buffer,
  prefix = 'HCX2:',
): Promise<string> {
  const h = b64(typeof header === 'string' ? header : JSON.stringify(header));
  const c = b64(typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload));
  const sig = await p.signer.sign(Buffer.from(`${h}.${c}`, 'ascii'));
  return `${prefix}${h}.${c}.${b64(sig)}`;
}

/** The decoded claims of a code string. */
export function claimsOf(codeString: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(codeString.slice(5).split('.')[1], 'base64url').toString('utf8'));
}

/** The header of an HCX2 code signed by `p`. */
export const codeHeader = (p: TestProvince) => ({ alg: p.key.alg, kid: shortKid(p.key.kid), typ: 'hcx2' });
/** The header of an HCX1 (legacy) code signed by `p`. */
export const legacyCodeHeader = (p: TestProvince) => ({
  alg: p.key.alg,
  kid: p.key.kid,
  typ: 'hcx-code+jws',
});
