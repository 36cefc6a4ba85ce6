/**
 * The trust list as a pure fold over the log: start from {@link emptyTrustList}, apply every entry in
 * order with {@link applyEntries}. The exchange builds the list it signs this way, and a client that
 * applies signed deltas runs the very same fold, so both arrive at the same list.
 *
 * An entry that makes no sense against the state (a key for an unknown province, a kid already
 * known for any role, revoking an unknown key) is refused with `TrustListRejected(INVALID_ENTRY)`,
 * and an entry a province asked for that does not carry that province's valid signed request with
 * `PROVINCE_SIGNATURE_INVALID` (province-signature.ts): the exchange never appends either, so
 * meeting one means the log was tampered with.
 */
import { TrustListRejected } from '../errors';
import { revocationLive } from '../rules/revocation';
import type {
  CodeRevocation,
  KeyRevocationReason,
  LogEntry,
  TrustList,
  TrustListKey,
  TrustListProvince,
  TrustListStatusSegment,
  TrustListSunset,
} from '../schemas/types.gen';
import { GENESIS_HASH } from './log';
import {
  checkCodeRevocation,
  checkKeyPublication,
  checkKeyRevocation,
  checkRetentionStatement,
  settled,
  verifyProvinceRequest,
} from './province-signature';

/** The list of a federation whose log is empty (version 0, head the genesis hash). */
export function emptyTrustList(federation: string): TrustList {
  return {
    federation,
    version: 0,
    issuedAt: 0,
    expiresAt: 0,
    logHead: GENESIS_HASH,
    provinces: [],
    codeRevocations: [],
  };
}

function invalid(title: string): never {
  throw new TrustListRejected('INVALID_ENTRY', title);
}

/** A mutable working copy: provinces and their key arrays copied, so the input is never changed. */
interface Draft {
  statusSegments: readonly TrustListStatusSegment[];
  federation: string;
  provinces: TrustListProvince[];
  codeRevocations: CodeRevocation[];
  kids: Set<string>;
  revoked: Set<string>;
  /** Status segments by `region:segment`; undefined until a status entry is folded. */
  segments?: Map<string, TrustListStatusSegment>;
  sunset?: TrustListSunset;
}

function draftOf(list: TrustList): Draft {
  const provinces = list.provinces.map((p) => ({ ...p, keys: [...p.keys] }));
  // Every kid in use, for any role: signing keys and enrollment keys alike.
  const kids = new Set(
    provinces.flatMap((p) => [...p.keys.map((k) => k.kid), ...p.enrollmentKeys.map((e) => e.key.kid ?? '')]),
  );
  const revoked = new Set(list.codeRevocations.map((r) => `${r.region}:${r.jti}`));
  return {
    federation: list.federation,
    provinces,
    codeRevocations: [...list.codeRevocations],
    kids,
    revoked,
    statusSegments: list.statusSegments ?? [],
    ...(list.sunset ? { sunset: list.sunset } : {}),
  };
}

function segmentMap(segments: readonly TrustListStatusSegment[]): Map<string, TrustListStatusSegment> {
  return new Map(segments.map((s) => [`${s.region}:${s.segment}`, s]));
}

/** The list's status segments in their one order: by region, then segment number. */
function sortedSegments(segments: Iterable<TrustListStatusSegment>): TrustListStatusSegment[] {
  return [...segments].sort((a, b) =>
    a.region < b.region ? -1 : a.region > b.region ? 1 : a.segment - b.segment,
  );
}

/** `list` with `statusSegments` set, or without the member when there is none (older lists). */
function withSegments(list: TrustList, segments: readonly TrustListStatusSegment[]): TrustList {
  const { statusSegments: _dropped, ...rest } = list;
  return segments.length > 0 ? { ...rest, statusSegments: [...segments] } : rest;
}

function provinceOf(draft: Draft, region: string): TrustListProvince {
  const province = draft.provinces.find((p) => p.region === region);
  if (!province) invalid('A log entry names an unknown province');
  return province;
}

function expectationOf(draft: Draft, province: TrustListProvince) {
  return { federation: draft.federation, region: province.region, enrollmentKeys: province.enrollmentKeys };
}

/**
 * `key` revoked at `revokedAt` for `reason`; `revokeRequest` is the province's signed request that
 * asked for it (its `key.revoke`, or its `province.sunset` for a key the sunset retired).
 */
function retire(
  key: TrustListKey,
  revokedAt: number,
  reason: KeyRevocationReason,
  revokeRequest: string,
): TrustListKey {
  return {
    kid: key.kid,
    alg: key.alg,
    jwk: key.jwk,
    notBefore: key.notBefore,
    notAfter: key.notAfter,
    status: 'revoked',
    revokedAt,
    reason,
    request: key.request,
    revokeRequest,
  };
}

function fold(draft: Draft, entry: LogEntry): void {
  // Nothing follows the federation's end.
  if (draft.sunset) invalid('A log entry follows the federation sunset');
  switch (entry.type) {
    case 'province.registered': {
      if (draft.provinces.some((p) => p.region === entry.region)) invalid('A province is registered twice');
      const enrollmentKid = entry.data.enrollmentKey.kid;
      if (typeof enrollmentKid !== 'string' || draft.kids.has(enrollmentKid)) {
        invalid('A province is registered with a key already in use');
      }
      draft.kids.add(enrollmentKid);
      const { name, retention } = entry.data;
      draft.provinces.push({
        region: entry.region,
        name,
        status: 'active',
        enrollmentKeys: [{ key: entry.data.enrollmentKey, from: entry.at }],
        keys: [],
        ...(retention ? { retention } : {}),
      });
      return;
    }
    case 'province.sunset': {
      // Every key listed is retired at the sunset; the province's codes verify as ISSUER_SUNSET.
      const province = provinceOf(draft, entry.region);
      // Self-authenticating like the key entries: the province's own signed sunset request.
      settled(
        verifyProvinceRequest(entry.data.request, {
          ...expectationOf(draft, province),
          op: 'province.sunset',
        }),
      );
      for (const kid of entry.data.retired) {
        const index = province.keys.findIndex((k) => k.kid === kid);
        if (index < 0 || province.keys[index].status !== 'active')
          invalid('A sunset retires a key the province does not have active');
        province.keys[index] = retire(province.keys[index], entry.at, 'retired', entry.data.request);
      }
      draft.provinces[draft.provinces.indexOf(province)] = { ...province, status: 'sunset' };
      return;
    }
    case 'province.retention': {
      // The province's new policy, self-authenticating: its own signed request states it.
      const province = provinceOf(draft, entry.region);
      if (province.status !== 'active') invalid('A retention change for a province that is not active');
      settled(
        checkRetentionStatement(entry.data.request, expectationOf(draft, province), entry.data.retention),
      );
      draft.provinces[draft.provinces.indexOf(province)] = {
        ...province,
        retention: entry.data.retention,
        retentionRequest: entry.data.request,
      };
      return;
    }
    case 'federation.sunset': {
      if (draft.sunset) invalid('The federation ends twice');
      draft.sunset = { at: entry.at, finalListExpiresAt: entry.data.finalListExpiresAt };
      return;
    }
    case 'province.suspended': {
      const province = provinceOf(draft, entry.region);
      const index = draft.provinces.indexOf(province);
      draft.provinces[index] = { ...province, status: 'suspended' };
      return;
    }
    case 'province.reenrolled': {
      // A suspended province's new enrollment key: the current one's validity ends here, so a
      // request it signs later no longer verifies anywhere (province-signature.ts checks `iat`).
      const province = provinceOf(draft, entry.region);
      if (province.status !== 'suspended') invalid('A province is re-enrolled without being suspended');
      const kid = entry.data.enrollmentKey.kid;
      if (typeof kid !== 'string' || draft.kids.has(kid)) {
        invalid('A province is re-enrolled with a key already in use');
      }
      draft.kids.add(kid);
      const enrollmentKeys = province.enrollmentKeys.map((e) =>
        e.until === undefined ? { ...e, until: entry.at } : e,
      );
      enrollmentKeys.push({ key: entry.data.enrollmentKey, from: entry.at });
      draft.provinces[draft.provinces.indexOf(province)] = { ...province, enrollmentKeys };
      return;
    }
    case 'province.resumed': {
      const province = provinceOf(draft, entry.region);
      if (province.status !== 'suspended') invalid('A province is resumed without being suspended');
      draft.provinces[draft.provinces.indexOf(province)] = { ...province, status: 'active' };
      return;
    }
    case 'key.published': {
      const province = provinceOf(draft, entry.region);
      const { kid, alg, jwk, notBefore, notAfter, request } = entry.data;
      settled(checkKeyPublication(request, expectationOf(draft, province), entry.data));
      if (draft.kids.has(kid)) invalid('A key is published twice, or is already in use for another role');
      draft.kids.add(kid);
      province.keys.push({ kid, alg, jwk, notBefore, notAfter, status: 'active', request });
      return;
    }
    case 'key.revoked': {
      const province = provinceOf(draft, entry.region);
      const index = province.keys.findIndex((k) => k.kid === entry.data.kid);
      if (index < 0) invalid('A log entry revokes a key the province does not have');
      const key = province.keys[index];
      // The one change of a revoked key: a superseded or retired key escalated to compromised.
      if (key.status !== 'active' && !(key.reason !== 'compromised' && entry.data.reason === 'compromised')) {
        invalid('A log entry revokes a key that is already revoked');
      }
      settled(checkKeyRevocation(entry.data.request, expectationOf(draft, province), entry.data));
      province.keys[index] = retire(key, entry.data.revokedAt, entry.data.reason, entry.data.request);
      return;
    }
    case 'status.published': {
      provinceOf(draft, entry.region);
      draft.segments ??= segmentMap(draft.statusSegments);
      for (const ref of entry.data.segments) {
        const id = `${entry.region}:${ref.segment}`;
        const held = draft.segments.get(id);
        // The exchange only appends a publication that moves each of its segments forward.
        if (held && held.rev >= ref.rev) invalid('A status publication does not move a segment forward');
        draft.segments.set(id, { region: entry.region, ...ref, batch: entry.data.batch });
      }
      return;
    }
    case 'code.revoked': {
      const province = provinceOf(draft, entry.region);
      // Self-authenticating like the key entries: the province's own signed code.revoke of this code.
      settled(checkCodeRevocation(entry.data.request, expectationOf(draft, province), entry.data));
      const id = `${entry.region}:${entry.data.jti}`;
      // A repeated revocation of the same code replaces the earlier one and moves to the end. That
      // is what pruning the earlier one and appending the new one gives, so the list is the same
      // whenever the holder happened to prune in between (exchange and delta clients agree).
      if (draft.revoked.has(id)) {
        const at = draft.codeRevocations.findIndex(
          (r) => r.region === entry.region && r.jti === entry.data.jti,
        );
        if (at >= 0) draft.codeRevocations.splice(at, 1);
      }
      draft.revoked.add(id);
      draft.codeRevocations.push({
        region: entry.region,
        jti: entry.data.jti,
        revokedAt: entry.data.revokedAt,
        exp: entry.data.exp,
        request: entry.data.request,
      });
      return;
    }
    default:
      invalid('A log entry has an unknown type');
  }
}

/**
 * Apply `entries` (consecutive, starting at `list.version + 1`) to `list`; returns a new list whose
 * version is the last entry's seq and whose logHead is its hash. issuedAt/expiresAt are kept (the
 * signer sets them). Chain checks are {@link verifyChain}'s job; this only checks the sequence.
 */
export function applyEntries(list: TrustList, entries: readonly LogEntry[]): TrustList {
  if (entries.length === 0) return list;
  const draft = draftOf(list);
  let version = list.version;
  let logHead = list.logHead;
  for (const entry of entries) {
    if (entry.seq !== version + 1) throw new TrustListRejected('GAP', 'The log entries do not follow on');
    fold(draft, entry);
    version = entry.seq;
    logHead = entry.hash;
  }
  const next = {
    ...list,
    version,
    logHead,
    provinces: draft.provinces,
    codeRevocations: draft.codeRevocations,
    ...(draft.sunset ? { sunset: draft.sunset } : {}),
  };
  return draft.segments ? withSegments(next, sortedSegments(draft.segments.values())) : next;
}

/** Apply one entry (see {@link applyEntries}). */
export function applyEntry(list: TrustList, entry: LogEntry): TrustList {
  return applyEntries(list, [entry]);
}

/**
 * Drop the code revocations whose code has expired (`exp + clock skew < now`), and the status
 * segments whose last revoked code has: such a code fails verification as EXPIRED anyway, so the
 * list stops carrying it. Returns `list` itself when nothing is dropped.
 */
export function pruneExpiredRevocations(list: TrustList, now: number): TrustList {
  const live = (exp: number) => revocationLive(exp, now);
  const kept = list.codeRevocations.filter((r) => live(r.exp));
  const segments = list.statusSegments ?? [];
  const keptSegments = segments.filter((s) => live(s.exp));
  if (kept.length === list.codeRevocations.length && keptSegments.length === segments.length) return list;
  return withSegments({ ...list, codeRevocations: kept }, keptSegments);
}
