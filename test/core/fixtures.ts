/** Shared fixtures for core tests: provinces with local keys, a trust list, a snapshot, a code. */
import { issueCode } from '../../functions/core/code/issue';
import { generateSigningKey, type GeneratedKey } from '../../functions/core/keys';
import { buildSnapshot, type RegistrySnapshot } from '../../functions/core/registry';
import type { IssueRequest, TrustList } from '../../functions/core/schemas/types.gen';
import { LocalKeySigner } from '../../functions/core/signer';
import {
  codeHeader as headerOf,
  DAY,
  forge as forgeWith,
  GD,
  HOLDER_NAME,
  ID_NUMBER,
  NOW,
  ZJ,
} from '../kit/domain';
import { selfAuthenticated } from '../kit/province-proof';

export { claimsOf } from '../kit/domain';
export { DAY, GD, ID_NUMBER, NOW, ZJ };

export const issueRequest = (over: Partial<IssueRequest> = {}): IssueRequest => ({
  holder: { name: HOLDER_NAME, idType: '10', idNumber: ID_NUMBER },
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

/** test/kit's `forge` with `p`'s key (HCX2, or `prefix` `HCX1:` for the legacy format). */
export const forge = (
  p: TestProvince,
  header: object | string,
  payload: object | string | Buffer,
  prefix?: string,
): Promise<string> => forgeWith(p.signer, header, payload, prefix);

/** The header of an HCX2 code signed by `p`. */
export const codeHeader = (p: TestProvince) => headerOf(p.signer);
/** The header of an HCX1 (legacy) code signed by `p`. */
export const legacyCodeHeader = (p: TestProvince) => ({
  alg: p.key.alg,
  kid: p.key.kid,
  typ: 'hcx-code+jws',
});
