/**
 * The registry snapshot a verifier works from: a verified trust list indexed for the hot path.
 *
 * Building it is the slow part (every key passes key intake again, so a small-order Ed25519 key that
 * somehow reached a list is still refused, and is imported once); looking a key up is one map read.
 */
import type { KeyObject } from 'node:crypto';
import type { SignatureAlgorithm } from './algorithms';
import { acceptPublicKey, shortKid } from './keys';
import type { ProvinceStatus, TrustList, TrustListStatusSegment } from './schemas/types.gen';
import { TrustListRejected } from './errors';
import { StatusIndex } from './status/status-index';
import type { SegmentSet } from './status/segment';

/** A key as the verifier needs it. */
export interface RegisteredKey {
  readonly kid: string;
  readonly region: string;
  readonly algorithm: SignatureAlgorithm;
  readonly publicKey: KeyObject;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly status: 'active' | 'revoked';
  readonly revokedAt?: number;
  readonly reason?: string;
}

/** A province as the verifier needs it. */
export interface RegisteredProvince {
  readonly region: string;
  readonly name: string;
  readonly status: ProvinceStatus;
}

/** A verified trust list, indexed. */
export interface RegistrySnapshot {
  readonly federation: string;
  readonly version: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly logHead: string;
  readonly provinces: ReadonlyMap<string, RegisteredProvince>;
  readonly keys: ReadonlyMap<string, RegisteredKey>;
  /** The same keys by short kid (what an HCX2 code names); a short kid two keys share names neither. */
  readonly shortKeys: ReadonlyMap<string, RegisteredKey>;
  /**
   * Revoked codes: the jtis of each region's (one lookup by the code's own strings, nothing joined
   * per verification).
   */
  readonly revokedCodes: ReadonlyMap<string, ReadonlySet<string>>;
  /** Revoked status indices (codes carrying `si`), from the list's status segments. */
  readonly status: StatusIndex;
  /** kids present in the list but refused at intake (never usable). */
  readonly refusedKids: readonly string[];
  /** The list this snapshot was built from. */
  readonly list: TrustList;
}

/**
 * The content of a listed status segment, already checked against the digest the list commits to,
 * or undefined when the holder does not have it.
 */
export type SegmentSource = (segment: TrustListStatusSegment) => SegmentSet | undefined;

/**
 * Index the list's status segments. Every listed segment must be there: a verifier missing one
 * could not tell a revoked code from a valid one, so it is refused (`SEGMENT_MISSING`) and the
 * holder keeps the snapshot it had.
 */
export function buildStatusIndex(list: TrustList, segments: SegmentSource = () => undefined): StatusIndex {
  const index = new StatusIndex();
  for (const s of list.statusSegments ?? []) {
    const set = segments(s);
    if (!set) throw new TrustListRejected('SEGMENT_MISSING', 'A status segment of the list is not held');
    index.add(s.region, s.segment, set);
  }
  return index;
}

/**
 * Index `keys` by short kid. The exchange refuses a key whose short kid is taken, so a list where
 * two keys share one was not built by a sound exchange: that short kid then names no key at all
 * (HCX2 codes naming it verify as UNKNOWN_KEY), never the one that happens to come first.
 */
export function indexByShortKid(keys: Iterable<RegisteredKey>): Map<string, RegisteredKey> {
  const index = new Map<string, RegisteredKey>();
  const ambiguous = new Set<string>();
  for (const key of keys) {
    const short = shortKid(key.kid);
    if (ambiguous.has(short)) continue;
    if (index.has(short)) {
      index.delete(short);
      ambiguous.add(short);
    } else index.set(short, key);
  }
  return index;
}

/** Index a verified trust list; keys that fail intake are left out and listed in `refusedKids`. */
export async function buildSnapshot(list: TrustList, segments?: SegmentSource): Promise<RegistrySnapshot> {
  const status = buildStatusIndex(list, segments);
  const provinces = new Map<string, RegisteredProvince>();
  const keys = new Map<string, RegisteredKey>();
  const refusedKids: string[] = [];
  for (const p of list.provinces) {
    provinces.set(p.region, { region: p.region, name: p.name, status: p.status });
    for (const k of p.keys) {
      try {
        const accepted = await acceptPublicKey(k.jwk, k.alg);
        if (accepted.kid !== k.kid) throw new Error('kid is not the thumbprint');
        if (keys.has(k.kid) || refusedKids.includes(k.kid)) {
          // One key listed twice (say, for two provinces) is usable by neither.
          keys.delete(k.kid);
          throw new Error('kid listed twice');
        }
        keys.set(k.kid, {
          kid: k.kid,
          region: p.region,
          algorithm: accepted.algorithm,
          publicKey: accepted.algorithm.importPublicKey(accepted.jwk),
          notBefore: k.notBefore,
          notAfter: k.notAfter,
          status: k.status,
          ...(k.status === 'revoked' ? { revokedAt: k.revokedAt, reason: k.reason } : {}),
        });
      } catch {
        refusedKids.push(k.kid);
      }
    }
  }
  const revokedCodes = new Map<string, Set<string>>();
  for (const r of list.codeRevocations) {
    const jtis = revokedCodes.get(r.region) ?? new Set<string>();
    revokedCodes.set(r.region, jtis.add(r.jti));
  }
  return {
    federation: list.federation,
    version: list.version,
    issuedAt: list.issuedAt,
    expiresAt: list.expiresAt,
    logHead: list.logHead,
    provinces,
    keys,
    shortKeys: indexByShortKid(keys.values()),
    revokedCodes,
    status,
    refusedKids,
    list,
  };
}
