/**
 * The signed trust list and its deltas: signing (exchange side), and opening and applying them
 * (province nodes, the CLI, offline clients).
 *
 * A list is trusted only when signed by a federation key given by configuration, out of band, never
 * by a key the list itself brings. Opening is strict: size cap before parsing, the JWS profile
 * (exact `typ`, no header-supplied key), the signature, the schema, the federation id, expiry, entry
 * caps and internal consistency. A delta is applied only when its hash chain continues from the
 * holder's own head and arrives at the signed `logHead`: no rollback, no fork, no gap.
 */
import type { KeyObject } from 'node:crypto';
import { JwsRejected, TrustListRejected } from '../errors';
import { parseCompactJws, type JwsProfile } from '../jws/compact';
import { signCompactJws } from '../jws/sign';
import { acceptPublicKey, type AcceptedKey } from '../keys';
import { LIMITS, TRUST_LIST_DELTA_PROFILE, TRUST_LIST_PROFILE } from '../profiles';
import type { TrustList, TrustListDelta } from '../schemas/types.gen';
import type { Validator } from '../schemas/validators';
import type { Signer } from '../signer';
import { kidsBelongToOneHolder } from '../rules/issuer';
import { compareTrustLists, isTrustListStale } from '../rules/lists';
import { verifyChain } from './log';
import type * as TrustListValidators from '../schemas/trust-list-validators';
import {
  checkCodeRevocation,
  checkKeyPublication,
  checkKeyRevocation,
  checkRetentionStatement,
  isSunsetRequest,
  verifyProvinceRequest,
  type ProvinceRequestExpectation,
} from './province-signature';
import { applyEntries, pruneExpiredRevocations } from './state';

// The trust-list validators are loaded the first time a list or a delta is opened: in a Lambda
// bundle they are a side bundle that a cold start does not parse (schemas/trust-list-validators.ts).
let validators:
  { isTrustList: Validator<TrustList>; isTrustListDelta: Validator<TrustListDelta> } | undefined;
function trustListValidators(): NonNullable<typeof validators> {
  if (!validators) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, synchronous load (see above)
    const generated = require('#trust-list-validators') as typeof TrustListValidators;
    validators = {
      isTrustList: generated.trustList as unknown as Validator<TrustList>,
      isTrustListDelta: generated.trustListDelta as unknown as Validator<TrustListDelta>,
    };
  }
  return validators;
}
const isTrustList = (value: unknown): value is TrustList => trustListValidators().isTrustList(value);
const isTrustListDelta = (value: unknown): value is TrustListDelta =>
  trustListValidators().isTrustListDelta(value);

/** A verified federation key, ready to check signatures. */
export interface FederationKey {
  readonly accepted: AcceptedKey;
  readonly publicKey: KeyObject;
}

/**
 * The federation's verification keys, from configuration. Built synchronously (so a node can hold
 * it in its dependencies); every key passes key intake, and a JWKS with a refused key is refused as
 * a whole when first used: a configuration mistake must not silently drop a key.
 */
export interface FederationKeys {
  /** The federation id the keys belong to, when configured: lists of another federation are refused. */
  readonly federation?: string;
  /** The verified keys by kid (rejects with `TrustListRejected(FEDERATION_KEYS_INVALID)`). */
  resolve(): Promise<ReadonlyMap<string, FederationKey>>;
}

/** Most keys a federation JWKS may carry (current and next, with room for a rotation overlap). */
const MAX_FEDERATION_KEYS = 8;

/** Build {@link FederationKeys} from the federation JWKS given by configuration. */
export function federationKeys(
  jwks: { readonly keys: readonly unknown[] },
  federation?: string,
): FederationKeys {
  if (
    typeof jwks !== 'object' ||
    jwks === null ||
    !Array.isArray(jwks.keys) ||
    jwks.keys.length === 0 ||
    jwks.keys.length > MAX_FEDERATION_KEYS
  ) {
    throw new TrustListRejected('FEDERATION_KEYS_INVALID', 'The federation JWKS is not usable');
  }
  const keys = [...jwks.keys];
  let resolved: Promise<ReadonlyMap<string, FederationKey>> | undefined;
  return {
    federation,
    resolve() {
      resolved ??= (async () => {
        const map = new Map<string, FederationKey>();
        for (const jwk of keys) {
          const accepted = await acceptPublicKey(jwk).catch((e: unknown) => {
            throw new TrustListRejected('FEDERATION_KEYS_INVALID', 'A federation key is not acceptable', e);
          });
          map.set(accepted.kid, { accepted, publicKey: accepted.algorithm.importPublicKey(accepted.jwk) });
        }
        return map;
      })();
      return resolved;
    },
  };
}

/** Sign a trust list with the federation signer: compact JWS, typ `hcx-trust-list+jws`. */
export function signTrustList(signer: Signer, list: TrustList): Promise<string> {
  return signCompactJws(signer, TRUST_LIST_PROFILE.typ, list);
}

/** Sign a trust-list delta with the federation signer: compact JWS, typ `hcx-trust-list-delta+jws`. */
export function signDelta(signer: Signer, delta: TrustListDelta): Promise<string> {
  return signCompactJws(signer, TRUST_LIST_DELTA_PROFILE.typ, delta);
}

/** Options of {@link openTrustList} and {@link openDelta}. */
export interface OpenOptions {
  /** Current time, NumericDate seconds. */
  readonly now: number;
  /** Largest accepted JWS, in characters (default and ceiling: the profile's 4 MiB). */
  readonly maxBytes?: number;
  /** Most code revocations a list may carry, or log entries a delta may carry (default 100 000). */
  readonly maxEntries?: number;
  /** Expected federation id (default: the one the keys were configured with, if any). */
  readonly federation?: string;
  /**
   * Accept a stale list or delta (past its `expiresAt`, `isTrustListStale`); every other check still
   * applies. For offline verifiers (`hcx verify --offline`, `hcx trust-list show`): verification
   * against it then answers `indeterminate` with `TRUST_LIST_STALE`. Nodes never set it.
   */
  readonly allowExpired?: boolean;
}

const DEFAULT_MAX_ENTRIES = 100_000;

async function openSigned(
  jws: unknown,
  keys: FederationKeys,
  profile: JwsProfile,
  options: OpenOptions,
): Promise<Record<string, unknown>> {
  const maxBytes = Math.min(options.maxBytes ?? profile.maxLength, profile.maxLength);
  if (typeof jws === 'string' && jws.length > maxBytes) {
    throw new TrustListRejected('TOO_LARGE', 'The trust list is larger than allowed');
  }
  let parsed;
  try {
    parsed = parseCompactJws(jws, profile);
  } catch (e) {
    if (e instanceof JwsRejected) {
      const reason = e.reason === 'SIGNATURE_INVALID' ? 'SIGNATURE_INVALID' : 'MALFORMED';
      throw new TrustListRejected(reason, 'The trust list is not a valid signed document', e);
    }
    throw e;
  }
  const key = (await keys.resolve()).get(parsed.kid);
  if (!key || key.accepted.alg !== parsed.alg.name) {
    throw new TrustListRejected('UNKNOWN_KEY', 'The trust list is not signed by a federation key');
  }
  if (!(await parsed.alg.verify(key.publicKey, parsed.signingInput, parsed.signature))) {
    throw new TrustListRejected('SIGNATURE_INVALID', 'The trust list signature does not verify');
  }
  return parsed.payload;
}

function checkFreshness(
  doc: { federation: string; issuedAt: number; expiresAt: number },
  keys: FederationKeys,
  options: OpenOptions,
): void {
  const federation = options.federation ?? keys.federation;
  if (federation !== undefined && doc.federation !== federation) {
    throw new TrustListRejected('FEDERATION_MISMATCH', 'The trust list belongs to another federation');
  }
  if (doc.issuedAt > options.now + LIMITS.clockSkew || doc.expiresAt < doc.issuedAt) {
    throw new TrustListRejected('NOT_YET_VALID', 'The trust list is not valid yet');
  }
  if (!options.allowExpired && isTrustListStale(doc, options.now)) {
    throw new TrustListRejected('EXPIRED', 'The trust list has expired');
  }
}

/**
 * Verify and parse a signed trust list: signed by one of `keys`, schema-valid, of the expected
 * federation, not expired, within the caps, consistent (each region once, each kid once for any
 * role, no province key that is a federation key), and self-authenticating: every key carries its
 * province's signed `key.publish` (and a revoked key its `key.revoke`, a code revoked by id its
 * `code.revoke`) made with one of that province's enrollment keys (`PROVINCE_SIGNATURE_INVALID`), so a federation signature alone, the
 * operator's, cannot put a key there. Throws {@link TrustListRejected}; never returns a list it did
 * not fully check.
 */
export async function openTrustList(
  jws: unknown,
  keys: FederationKeys,
  options: OpenOptions,
): Promise<TrustList> {
  const payload = await openSigned(jws, keys, TRUST_LIST_PROFILE, options);
  if (!isTrustList(payload))
    throw new TrustListRejected('SCHEMA_INVALID', 'The trust list is not well formed');
  checkFreshness(payload, keys, options);
  if (payload.codeRevocations.length > (options.maxEntries ?? DEFAULT_MAX_ENTRIES)) {
    throw new TrustListRejected('TOO_LARGE', 'The trust list carries too many entries');
  }
  const regions = new Set(payload.provinces.map((p) => p.region));
  const federationKids = [...(await keys.resolve()).keys()];
  const kids = payload.provinces.flatMap((p) => [
    ...p.keys.map((k) => k.kid),
    ...p.enrollmentKeys.map((e) => e.key.kid ?? ''),
  ]);
  if (regions.size !== payload.provinces.length || !kidsBelongToOneHolder(kids, federationKids)) {
    throw new TrustListRejected('INCONSISTENT', 'The trust list names a province or a key twice');
  }
  const segments = payload.statusSegments ?? [];
  if (
    new Set(segments.map((s) => `${s.region}:${s.segment}`)).size !== segments.length ||
    segments.some((s) => !regions.has(s.region))
  ) {
    throw new TrustListRejected(
      'INCONSISTENT',
      'The trust list names a status segment twice or of no province',
    );
  }
  const expectations = new Map<string, Omit<ProvinceRequestExpectation, 'op'>>();
  for (const province of payload.provinces) {
    const expect = {
      federation: payload.federation,
      region: province.region,
      enrollmentKeys: province.enrollmentKeys,
    };
    expectations.set(province.region, expect);
    // A policy changed after registration carries the province's signed request stating it.
    if (province.retentionRequest !== undefined) {
      await checkRetentionStatement(province.retentionRequest, expect, province.retention);
    }
    for (const key of province.keys) {
      await checkKeyPublication(key.request, expect, key);
      if (key.status !== 'revoked') continue;
      // A key its province's sunset retired carries the province's signed sunset request.
      if (province.status === 'sunset' && key.reason === 'retired' && isSunsetRequest(key.revokeRequest)) {
        await verifyProvinceRequest(key.revokeRequest, { ...expect, op: 'province.sunset' });
      } else {
        await checkKeyRevocation(key.revokeRequest, expect, key);
      }
    }
  }
  // Each code revoked by id carries its province's signed code.revoke of exactly that code.
  for (const revocation of payload.codeRevocations) {
    const expect = expectations.get(revocation.region);
    if (!expect) throw new TrustListRejected('INCONSISTENT', 'The trust list revokes a code of no province');
    await checkCodeRevocation(revocation.request, expect, revocation);
  }
  return payload;
}

/** Verify and parse a signed trust-list delta (same checks as {@link openTrustList}, no chain yet). */
export async function openDelta(
  jws: unknown,
  keys: FederationKeys,
  options: OpenOptions,
): Promise<TrustListDelta> {
  const payload = await openSigned(jws, keys, TRUST_LIST_DELTA_PROFILE, options);
  if (!isTrustListDelta(payload))
    throw new TrustListRejected('SCHEMA_INVALID', 'The delta is not well formed');
  checkFreshness(payload, keys, options);
  if (payload.entries.length > (options.maxEntries ?? DEFAULT_MAX_ENTRIES)) {
    throw new TrustListRejected('TOO_LARGE', 'The delta carries too many entries');
  }
  return payload;
}

/**
 * Apply an opened delta to the list the holder has: the delta must start at the holder's version
 * (`GAP`), never go back (`ROLLBACK`), and its entries must chain from the holder's `logHead` to the
 * delta's signed `logHead` (`FORK`). The result is the same fold the exchange runs, pruned at the
 * delta's issue time like the exchange prunes a full list, so both agree. A delta that is not well
 * formed is `SCHEMA_INVALID`.
 */
export function applyDelta(current: TrustList, delta: TrustListDelta, options: { now: number }): TrustList {
  // The type is a promise, not a check: a delta that did not come through openDelta (a caller's own,
  // or one altered after opening) must not reach a comparison with a value that is not a number.
  if (!isTrustListDelta(delta)) throw new TrustListRejected('SCHEMA_INVALID', 'The delta is not well formed');
  if (delta.federation !== current.federation) {
    throw new TrustListRejected('FEDERATION_MISMATCH', 'The delta belongs to another federation');
  }
  // compareTrustLists: never return a list older than the one held. A delta at the held version
  // with another head (FORK) is refused below by the chain check, as GAP or FORK.
  const order = compareTrustLists(current, delta);
  if (order === 'ROLLBACK') throw new TrustListRejected('ROLLBACK', 'The delta is older than the list');
  if (order === 'REISSUED_EARLIER') {
    throw new TrustListRejected('ROLLBACK', 'The delta was issued before the list');
  }
  if (delta.fromVersion !== current.version || delta.version !== delta.fromVersion + delta.entries.length) {
    throw new TrustListRejected('GAP', 'The delta does not start at the version held');
  }
  if (delta.expiresAt < options.now) throw new TrustListRejected('EXPIRED', 'The delta has expired');
  const head = verifyChain({ seq: current.version, hash: current.logHead }, delta.entries);
  if (head.hash !== delta.logHead) {
    throw new TrustListRejected('FORK', 'The delta does not arrive at its signed log head');
  }
  const next = applyEntries(current, delta.entries);
  return pruneExpiredRevocations(
    { ...next, issuedAt: delta.issuedAt, expiresAt: delta.expiresAt },
    delta.issuedAt,
  );
}

/** "Newer than" is one rule of functions/core/rules (compareTrustLists); re-exported for the page. */
export { isNewer } from '../rules/lists';
