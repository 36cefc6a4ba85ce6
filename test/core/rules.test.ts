/**
 * The federation rules of functions/core/rules, one table per rule, asserting the stable verdicts
 * and reason codes every call site acts on (test/core/rules-call-sites.test.ts shows the call sites).
 */
import {
  beyondCodeLifetime,
  codeRevocationsRefusal,
  compareTrustLists,
  decideCodeRevocation,
  decideKeyPublication,
  decideKeyRevocation,
  decideReenrollment,
  decideRegistration,
  decideResumption,
  decideProvinceSunset,
  decideRetentionChange,
  decideRetentionPublication,
  decideSegment,
  MAX_PATCH_CHAIN,
  patchRefusal,
  decideSuspension,
  liveSegmentsRefusal,
  MAX_LIVE_SEGMENTS_PER_PROVINCE,
  segmentShrinks,
  isNewer,
  isTrustListStale,
  keyBelongsToIssuer,
  keyRevocationChanges,
  keyWindowRefusal,
  kidRefusal,
  kidsBelongToOneHolder,
  MAX_ENROLLMENT_KEYS,
  MAX_KEYS_PER_PROVINCE,
  MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE,
  MAX_PROVINCES,
  replicaAgeAlarms,
  revocationCovers,
  revocationLive,
  trustListAge,
  type ListOrder,
  type ListPosition,
} from '../../functions/core/rules';
import { SegmentSet } from '../../functions/core/status/segment';

const ZJ_REGION = '330000';
import { LIMITS } from '../../functions/core/profiles';

const T = 1_790_000_000;
const SKEW = LIMITS.clockSkew;
const at = (version: number, issuedAt = T, logHead = 'A'): ListPosition => ({ version, logHead, issuedAt });

describe('compareTrustLists (rollback, fork, freshness of two lists)', () => {
  it.each<[string, ListPosition | undefined, ListPosition, ListOrder]>([
    ['nothing held', undefined, at(1), 'NEWER'],
    ['higher version', at(5), at(6, T - 900, 'B'), 'NEWER'],
    ['same log issued later', at(5), at(5, T + 900), 'NEWER'],
    ['same log, same issue', at(5), at(5), 'SAME'],
    ['same log issued earlier', at(5, T + 900), at(5), 'REISSUED_EARLIER'],
    ['lower version', at(5), at(4, T + 900), 'ROLLBACK'],
    ['same version, other head', at(5), at(5, T + 900, 'B'), 'FORK'],
    ['same version, other head, issued earlier', at(5, T + 900), at(5, T, 'B'), 'FORK'],
  ])('%s: %s', (_case, held, candidate, order) => {
    expect(compareTrustLists(held, candidate)).toBe(order);
    expect(isNewer(candidate, held)).toBe(order === 'NEWER');
  });
});

describe('staleness', () => {
  it.each([
    [T - 1, false],
    [T, false],
    [T + 1, true],
  ])('a list expiring at T is stale at %d: %s (strictly after expiresAt)', (now, stale) => {
    expect(isTrustListStale({ expiresAt: T }, now)).toBe(stale);
  });

  it.each([
    [T + 60, 60],
    [T, 0],
    [T - 60, 0],
  ])('age at %d is %d (never negative)', (now, age) => {
    expect(trustListAge({ issuedAt: T }, now)).toBe(age);
  });

  it.each([
    [1799, false],
    [1800, false],
    [1801, true],
  ])('the replica-age alarm at 1800 s fires at age %d: %s (GreaterThanThreshold)', (age, fires) => {
    expect(replicaAgeAlarms(age, 1800)).toBe(fires);
  });
});

describe('issuer binding: a kid belongs to one province', () => {
  it.each([
    ['330000', '330000', true],
    ['440000', '330000', false],
  ])('a key of %s for a code of %s: %s (else KEY_NOT_FOR_ISSUER)', (region, iss, ok) => {
    expect(keyBelongsToIssuer({ region }, iss)).toBe(ok);
  });

  it.each([
    ['a free kid', { federationKids: ['F'] }, undefined],
    ['the federation key', { federationKids: ['K1'] }, 'KEY_ALREADY_KNOWN'],
    ['a kid a province holds', { federationKids: ['F'], owner: { kid: 'K1' } }, 'KEY_ALREADY_KNOWN'],
    [
      'a short kid another key has',
      { federationKids: ['F'], shortKidOwner: { kid: 'K2' } },
      'SHORT_KID_TAKEN',
    ],
    ['its own short kid', { federationKids: ['F'], shortKidOwner: { kid: 'K1' } }, undefined],
  ])('%s: %s', (_case, holders, refusal) => {
    expect(kidRefusal('K1', holders)).toBe(refusal);
  });

  it.each([
    [['a', 'b'], ['f'], true],
    [['a', 'a'], ['f'], false],
    [['a', 'f'], ['f'], false],
    [[], [], true],
  ])(
    'province kids %j with federation kids %j are each held once: %s (else INCONSISTENT)',
    (kids, fed, ok) => {
      expect(kidsBelongToOneHolder(kids, fed)).toBe(ok);
    },
  );
});

describe('revocation semantics', () => {
  it.each([
    ['active', undefined, undefined, T, false],
    ['revoked', 'compromised', T, T - 100, true],
    ['revoked', undefined, undefined, T - 100, true],
    ['revoked', 'superseded', T, T - 1, false],
    ['revoked', 'superseded', T, T, true],
    ['revoked', 'retired', T, T + 1, true],
  ])('a %s key (%s at %s) covers a code issued at %d: %s', (status, reason, revokedAt, iat, covers) => {
    expect(revocationCovers({ status, reason, revokedAt }, iat)).toBe(covers);
  });

  it.each([
    ['active', undefined, 'superseded', true],
    ['active', undefined, 'compromised', true],
    ['revoked', 'superseded', 'compromised', true],
    ['revoked', 'retired', 'compromised', true],
    ['revoked', 'superseded', 'retired', false],
    ['revoked', 'compromised', 'compromised', false],
    ['revoked', 'compromised', 'superseded', false],
  ])(
    'a %s (%s) key revoked as %s changes: %s (else KEY_ALREADY_REVOKED)',
    (status, reason, requested, ok) => {
      expect(keyRevocationChanges({ status, reason }, requested)).toBe(ok);
    },
  );

  it.each([
    [T - SKEW, true],
    [T - SKEW - 1, false],
    [T + 60, true],
  ])('a revocation of a code expiring at %d is live at T: %s', (exp, live) => {
    expect(revocationLive(exp, T)).toBe(live);
  });

  it.each([
    [T + LIMITS.maxCodeLifetime + SKEW, false],
    [T + LIMITS.maxCodeLifetime + SKEW + 1, true],
  ])('a code expiring at %d is beyond the longest lifetime at T: %s', (exp, beyond) => {
    expect(beyondCodeLifetime(exp, T)).toBe(beyond);
  });
});

describe("the exchange's acceptance, per command", () => {
  const active = { status: 'active' as const, enrollments: 1 };
  const suspended = { status: 'suspended' as const, enrollments: 1 };
  const sunset = { status: 'sunset' as const, enrollments: 1 };
  const free = { federationKids: ['F'] };
  const taken = { federationKids: ['F'], owner: { kid: 'K' } };

  it.each([
    ['a new region', undefined, free, 0, 'APPEND'],
    ['an existing region', active, free, 1, 'PROVINCE_EXISTS'],
    ['a known kid', undefined, taken, 1, 'KEY_ALREADY_KNOWN'],
    ['a full federation', undefined, free, MAX_PROVINCES, 'FEDERATION_FULL'],
    ['one below full', undefined, free, MAX_PROVINCES - 1, 'APPEND'],
  ] as const)('registration, %s: %s', (_case, province, holders, provinces, decision) => {
    expect(decideRegistration({ province, kid: 'K', holders, provinces })).toBe(decision);
  });

  it.each([
    [undefined, 'NOT_FOUND'],
    [active, 'APPEND'],
    [suspended, 'UNCHANGED'],
    [sunset, 'APPEND'],
  ] as const)('suspension of %j: %s', (province, decision) => {
    expect(decideSuspension(province)).toBe(decision);
  });

  it.each([
    [undefined, free, 'NOT_FOUND'],
    [active, free, 'PROVINCE_NOT_SUSPENDED'],
    [suspended, taken, 'KEY_ALREADY_KNOWN'],
    [{ status: 'suspended' as const, enrollments: MAX_ENROLLMENT_KEYS }, free, 'TOO_MANY_ENROLLMENT_KEYS'],
    [suspended, free, 'APPEND'],
  ] as const)('re-enrollment of %j: %s', (province, holders, decision) => {
    expect(decideReenrollment({ province, kid: 'K', holders })).toBe(decision);
  });

  it.each([
    [undefined, 'NOT_FOUND'],
    [active, 'UNCHANGED'],
    [suspended, 'APPEND'],
    [sunset, 'PROVINCE_SUNSET'],
  ] as const)('resumption of %j: %s', (province, decision) => {
    expect(decideResumption(province)).toBe(decision);
  });

  it.each([
    [T + 60, T + 86_400, undefined],
    [T + 60, T + 60, 'BAD_VALIDITY'],
    [T, T + LIMITS.maxKeyLifetime + 1, 'LIFETIME_TOO_LONG'],
    [T - SKEW - 1, T + 86_400, 'NOT_BEFORE_IN_PAST'],
    [T - SKEW, T + 86_400, undefined],
    [T + LIMITS.maxKeyLifetime + 1, T + LIMITS.maxKeyLifetime + 2, 'NOT_BEFORE_TOO_FAR'],
  ])('a key window [%d, %d] at T: %s', (notBefore, notAfter, refusal) => {
    expect(keyWindowRefusal(notBefore, notAfter, T)).toBe(refusal);
  });

  it.each([
    [active, free, 0, 'APPEND'],
    [suspended, free, 0, 'PROVINCE_NOT_ACTIVE'],
    [undefined, free, 0, 'PROVINCE_NOT_ACTIVE'],
    [active, { federationKids: ['F'], shortKidOwner: { kid: 'K2' } }, 0, 'SHORT_KID_TAKEN'],
    [active, free, MAX_KEYS_PER_PROVINCE, 'TOO_MANY_KEYS'],
  ] as const)('key publication by %j: %s', (province, holders, keys, decision) => {
    expect(decideKeyPublication({ province, kid: 'K', holders, keys })).toBe(decision);
  });

  it.each([
    [active, { status: 'active' }, 'superseded', 'APPEND'],
    [active, undefined, 'superseded', 'NOT_FOUND'],
    [suspended, { status: 'active' }, 'superseded', 'PROVINCE_NOT_ACTIVE'],
    [active, { status: 'revoked', reason: 'superseded' }, 'compromised', 'APPEND'],
    [active, { status: 'revoked', reason: 'superseded' }, 'retired', 'KEY_ALREADY_REVOKED'],
  ] as const)('key revocation by %j of %j as %s: %s', (province, key, reason, decision) => {
    expect(decideKeyRevocation({ province, key, reason })).toBe(decision);
  });

  it.each([
    [[{ exp: T + 60 }], 1, 0, undefined],
    [[{ exp: T + LIMITS.maxCodeLifetime + SKEW + 1 }], 1, 0, 'REQUEST_INVALID'],
    [[{ exp: T + 60 }], 1, MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE, 'CODE_REVOCATIONS_FULL'],
    [[{ exp: T + 60 }], 1, MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE - 1, undefined],
    [[{ exp: T - SKEW - 1 }], 0, MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE, undefined],
  ])('a code.revoke of %j (%d live, %d held): %s', (codes, live, held, refusal) => {
    expect(codeRevocationsRefusal(codes, live, held, T)).toBe(refusal);
  });

  it.each([
    [active, T + 60, false, 'APPEND'],
    [active, T + 60, true, 'UNCHANGED'],
    [active, T - SKEW - 1, false, 'EXPIRED'],
    [suspended, T + 60, false, 'PROVINCE_NOT_ACTIVE'],
  ] as const)('one code revocation by %j, exp %d, revoked %s: %s', (province, exp, revoked, decision) => {
    expect(decideCodeRevocation({ province, exp, revoked, now: T })).toBe(decision);
  });
});

describe("the exchange's acceptance of sunsets and retention changes", () => {
  const active = { status: 'active' as const, enrollments: 1 };
  const suspended = { status: 'suspended' as const, enrollments: 1 };
  const sunset = { status: 'sunset' as const, enrollments: 1 };

  it.each([
    [undefined, 'NOT_FOUND'],
    [active, 'APPEND'],
    [suspended, 'PROVINCE_NOT_ACTIVE'],
    [sunset, 'UNCHANGED'],
  ] as const)('province sunset of %j: %s', (province, decision) => {
    expect(decideProvinceSunset(province)).toBe(decision);
  });

  it.each([
    [undefined, 'PROVINCE_NOT_ACTIVE'],
    [active, 'APPEND'],
    [suspended, 'PROVINCE_NOT_ACTIVE'],
    [sunset, 'PROVINCE_NOT_ACTIVE'],
  ] as const)('retention change of %j: %s', (province, decision) => {
    expect(decideRetentionChange(province)).toBe(decision);
  });
});

describe("a node's retention policy to publish", () => {
  const policy = { maxCodeLifetimeSeconds: 86_400, keepAfterExpirySeconds: 0, holderErasure: true };
  const other = { maxCodeLifetimeSeconds: 3_600, keepAfterExpirySeconds: 0, holderErasure: true };
  const listing = (over: Record<string, unknown> = {}) => ({
    provinces: [{ region: ZJ_REGION, status: 'active', retention: policy, ...over }],
  });

  it.each([
    ['no list yet', undefined, policy, 'SKIP'],
    ['its province not in the list', { provinces: [] }, policy, 'SKIP'],
    ['its province suspended', listing({ status: 'suspended' }), policy, 'SKIP'],
    ['the federation sunset', { ...listing(), sunset: { at: 1 } }, policy, 'SKIP'],
    ['the list shows its policy', listing(), policy, 'UNCHANGED'],
    ['the list shows another policy', listing(), other, 'PUBLISH'],
    ['no policy listed, the node has the default', listing({ retention: undefined }), policy, 'UNCHANGED'],
    ['no policy listed, the node has another', listing({ retention: undefined }), other, 'PUBLISH'],
  ] as const)('%s: %s', (_case, list, configured, decision) => {
    expect(decideRetentionPublication(list as never, ZJ_REGION, configured, policy)).toBe(decision);
  });
});

describe('status publications, per segment and per province', () => {
  const T = 1_790_000_000;
  const held = { rev: 3, digest: 'D3', exp: T + 3_600 };

  it.each([
    ['a new segment', undefined, { rev: 1, digest: 'D1', exp: T }, 'APPEND', false],
    ['the same revision and content (a retry)', held, { ...held }, 'UNCHANGED', false],
    ['the same revision, other content', held, { ...held, digest: 'X' }, 'SEGMENT_REV_STALE', false],
    ['an older revision', held, { rev: 2, digest: 'D2', exp: T }, 'SEGMENT_REV_STALE', false],
    ['a newer revision over live content', held, { rev: 4, digest: 'D4', exp: T + 7_200 }, 'APPEND', true],
    [
      'a newer revision over expired content',
      { ...held, exp: T - 86_400 },
      { rev: 4, digest: 'D4', exp: T + 7_200 },
      'APPEND',
      false,
    ],
  ] as const)('%s: %s (supersedes live: %s)', (_case, before, next, decision, supersedesLive) => {
    expect(decideSegment(before, next, T)).toEqual({ decision, supersedesLive });
  });

  it.each([
    ['covers and expires no earlier', [1, 2], [1, 2, 3], T + 10, undefined],
    ['misses a revoked offset', [1, 2], [1, 3], T + 10, 'SEGMENT_SHRINKS'],
    ['expires earlier', [1, 2], [1, 2, 3], T - 10, 'SEGMENT_SHRINKS'],
  ] as const)('new content that %s: %s', (_case, before, after, exp, refusal) => {
    const set = (offsets: readonly number[]) => SegmentSet.fromSorted(Uint32Array.from(offsets));
    expect(segmentShrinks({ exp: T, set: set(before) }, { exp, set: set(after) })).toBe(refusal);
  });

  it.each([
    [MAX_LIVE_SEGMENTS_PER_PROVINCE - 1, 1, undefined],
    [MAX_LIVE_SEGMENTS_PER_PROVINCE, 1, 'STATUS_SEGMENTS_FULL'],
    [MAX_LIVE_SEGMENTS_PER_PROVINCE, 0, undefined],
    [0, MAX_LIVE_SEGMENTS_PER_PROVINCE + 1, 'STATUS_SEGMENTS_FULL'],
  ] as const)('%d live and %d added: %s', (live, added, refusal) => {
    expect(liveSegmentsRefusal(live, added)).toBe(refusal);
  });

  describe('a patch on the revision held (patchRefusal)', () => {
    const base = { rev: 3, digest: 'D3', batch: 'B3' };
    const full = { ...base, exp: T + 3_600 };
    it.each([
      ['the live full revision', full, base, { depth: 1 }],
      ['the live revision 5 patches deep', { ...full, depth: 5 }, base, { depth: 6 }],
      ['nothing held', undefined, base, { refusal: 'SEGMENT_BASE_STALE' }],
      ['an older revision', full, { ...base, rev: 2 }, { refusal: 'SEGMENT_BASE_STALE' }],
      ['another digest', full, { ...base, digest: 'X' }, { refusal: 'SEGMENT_BASE_STALE' }],
      ['another batch', full, { ...base, batch: 'X' }, { refusal: 'SEGMENT_BASE_STALE' }],
      ['an expired revision', { ...full, exp: T - 86_400 }, base, { refusal: 'SEGMENT_BASE_STALE' }],
      [
        'a revision at the chain bound',
        { ...full, depth: MAX_PATCH_CHAIN },
        base,
        { refusal: 'SEGMENT_CHAIN_FULL' },
      ],
      [
        'a revision one below the bound',
        { ...full, depth: MAX_PATCH_CHAIN - 1 },
        base,
        { depth: MAX_PATCH_CHAIN },
      ],
    ] as const)('based on %s', (_case, held, on, answer) => {
      expect(patchRefusal(held, on, T)).toEqual(answer);
    });
  });
});
