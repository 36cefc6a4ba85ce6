import { TrustListRejected } from '../../functions/core/errors';
import { encodeB64url, decodeB64url } from '../../functions/core/b64';
import type {
  LogEntry,
  TrustList,
  TrustListDelta,
  TrustListKey,
} from '../../functions/core/schemas/types.gen';
import { makeEntry, type LogEntryInput } from '../../functions/core/trustlist/log';
import { applyEntries, emptyTrustList } from '../../functions/core/trustlist/state';
import {
  applyDelta,
  federationKeys,
  isNewer,
  openDelta,
  openTrustList,
  signDelta,
  signTrustList,
} from '../../functions/core/trustlist/trust-list';
import {
  DAY,
  FEDERATION,
  NOW,
  publishedInput,
  registeredInput,
  retentionInput,
  sunsetInput,
  testKey,
  type TestKey,
} from './fixtures';

const reasonOf = async (p: Promise<unknown> | (() => unknown)): Promise<string | undefined> => {
  try {
    await (typeof p === 'function' ? p() : p);
    return undefined;
  } catch (e) {
    return e instanceof TrustListRejected ? e.reason : `not TrustListRejected: ${String(e)}`;
  }
};

let fed: TestKey;
let entries: LogEntry[];
const jwks = () => ({ keys: [{ ...fed.publicJwk, kid: fed.kid, alg: fed.alg }] });

beforeAll(async () => {
  fed = await testKey();
  const enroll = await testKey();
  const inputs: Omit<LogEntryInput, 'seq'>[] = [registeredInput(enroll)];
  for (let i = 0; i < 4; i++) {
    const k = await testKey();
    inputs.push(await publishedInput(enroll, k, { at: NOW + i, notAfter: NOW + DAY }));
  }
  entries = [];
  for (const input of inputs)
    entries.push(makeEntry(entries.at(-1), { ...input, seq: entries.length + 1 } as LogEntryInput));
});

const listAt = (version: number, issuedAt = NOW): TrustList => ({
  ...applyEntries(emptyTrustList(FEDERATION), entries.slice(0, version)),
  issuedAt,
  expiresAt: issuedAt + DAY,
});

const deltaFrom = (from: number, to: number, over: Partial<TrustListDelta> = {}): TrustListDelta => ({
  federation: FEDERATION,
  fromVersion: from,
  version: to,
  issuedAt: NOW + 60,
  expiresAt: NOW + 60 + DAY,
  logHead: listAt(to).logHead,
  entries: entries.slice(from, to),
  ...over,
});

describe('opening a signed trust list', () => {
  it('opens a list signed by a configured federation key', async () => {
    const jws = await signTrustList(fed.signer, listAt(5));
    expect(await openTrustList(jws, federationKeys(jwks(), FEDERATION), { now: NOW })).toEqual(listAt(5));
  });

  it('refuses a list signed by a key that is not configured, even one the list itself names', async () => {
    const other = await testKey();
    const jws = await signTrustList(other.signer, listAt(5));
    expect(await reasonOf(openTrustList(jws, federationKeys(jwks()), { now: NOW }))).toBe('UNKNOWN_KEY');
  });

  it('refuses a list with one key removed: the signature covers the whole snapshot', async () => {
    const jws = await signTrustList(fed.signer, listAt(5));
    const [h, p, s] = jws.split('.');
    const payload = JSON.parse(decodeB64url(p)!.toString('utf8')) as TrustList;
    payload.provinces[0].keys.pop();
    const tampered = `${h}.${encodeB64url(JSON.stringify(payload))}.${s}`;
    expect(await reasonOf(openTrustList(tampered, federationKeys(jwks()), { now: NOW }))).toBe(
      'SIGNATURE_INVALID',
    );
  });

  it('refuses an expired list, a list of another federation, an oversized one and a delta posing as a list', async () => {
    const keys = federationKeys(jwks(), FEDERATION);
    const jws = await signTrustList(fed.signer, listAt(5));
    expect(await reasonOf(openTrustList(jws, keys, { now: NOW + DAY + 1 }))).toBe('EXPIRED');
    expect(
      await reasonOf(
        openTrustList(await signTrustList(fed.signer, { ...listAt(5), federation: 'other' }), keys, {
          now: NOW,
        }),
      ),
    ).toBe('FEDERATION_MISMATCH');
    expect(await reasonOf(openTrustList(jws, keys, { now: NOW, maxBytes: 100 }))).toBe('TOO_LARGE');
    expect(
      await reasonOf(openTrustList(await signDelta(fed.signer, deltaFrom(0, 5)), keys, { now: NOW })),
    ).toBe('MALFORMED');
  });

  it('opens a sunset province’s retired keys only with its own signed sunset request', async () => {
    const enroll = await testKey();
    const key = await testKey();
    const chain: LogEntry[] = [];
    for (const input of [
      registeredInput(enroll),
      await publishedInput(enroll, key),
      await sunsetInput(enroll, [key.kid], { at: NOW + 1 }),
    ] as Omit<LogEntryInput, 'seq'>[]) {
      chain.push(makeEntry(chain.at(-1), { ...input, seq: chain.length + 1 } as LogEntryInput));
    }
    const list: TrustList = {
      ...applyEntries(emptyTrustList(FEDERATION), chain),
      issuedAt: NOW,
      expiresAt: NOW + DAY,
    };
    const keys = federationKeys(jwks(), FEDERATION);
    const opened = await openTrustList(await signTrustList(fed.signer, list), keys, { now: NOW });
    expect(opened.provinces[0]).toMatchObject({
      status: 'sunset',
      keys: [{ status: 'revoked', reason: 'retired' }],
    });
    // The operator retires the key with a sunset request the province never signed.
    const forged = (await sunsetInput(await testKey(), [key.kid])).data.request;
    const tampered: TrustList = {
      ...list,
      provinces: [
        {
          ...list.provinces[0],
          keys: [{ ...list.provinces[0].keys[0], revokeRequest: forged } as TrustListKey],
        },
      ],
    };
    expect(await reasonOf(openTrustList(await signTrustList(fed.signer, tampered), keys, { now: NOW }))).toBe(
      'PROVINCE_SIGNATURE_INVALID',
    );
  });

  it('opens a changed retention policy only with the province’s own signed province.retention', async () => {
    const enroll = await testKey();
    const policy = { maxCodeLifetimeSeconds: 3_600, keepAfterExpirySeconds: 600, holderErasure: false };
    const chain: LogEntry[] = [];
    for (const input of [
      registeredInput(enroll),
      await retentionInput(enroll, policy, { at: NOW + 1 }),
    ] as Omit<LogEntryInput, 'seq'>[]) {
      chain.push(makeEntry(chain.at(-1), { ...input, seq: chain.length + 1 } as LogEntryInput));
    }
    const list: TrustList = {
      ...applyEntries(emptyTrustList(FEDERATION), chain),
      issuedAt: NOW,
      expiresAt: NOW + DAY,
    };
    const keys = federationKeys(jwks(), FEDERATION);
    const opened = await openTrustList(await signTrustList(fed.signer, list), keys, { now: NOW });
    expect(opened.provinces[0].retention).toEqual(policy);
    // The operator loosens the policy under the province's signed request, or signs one of its own.
    const loosened: TrustList = {
      ...list,
      provinces: [{ ...list.provinces[0], retention: { ...policy, holderErasure: true } }],
    };
    const forged: TrustList = {
      ...list,
      provinces: [
        {
          ...list.provinces[0],
          retentionRequest: (await retentionInput(await testKey(), policy)).data.request,
        },
      ],
    };
    for (const tampered of [loosened, forged]) {
      expect(
        await reasonOf(openTrustList(await signTrustList(fed.signer, tampered), keys, { now: NOW })),
      ).toBe('PROVINCE_SIGNATURE_INVALID');
    }
  });

  it('refuses a federation JWKS carrying a refused key as a whole', async () => {
    const keys = federationKeys({ keys: [{ ...fed.publicJwk, d: 'x' }] });
    const jws = await signTrustList(fed.signer, listAt(1));
    expect(await reasonOf(openTrustList(jws, keys, { now: NOW }))).toBe('FEDERATION_KEYS_INVALID');
    expect(await reasonOf(() => federationKeys({ keys: [] }))).toBe('FEDERATION_KEYS_INVALID');
  });
});

describe('applying a delta', () => {
  it('arrives at the list a full fetch gives', async () => {
    const keys = federationKeys(jwks(), FEDERATION);
    const delta = await openDelta(await signDelta(fed.signer, deltaFrom(2, 5)), keys, { now: NOW });
    expect(applyDelta(listAt(2), delta, { now: NOW })).toEqual(listAt(5, NOW + 60));
  });

  it('refuses a delta that goes back (ROLLBACK)', () => {
    expect(() => applyDelta(listAt(5), deltaFrom(2, 4), { now: NOW })).toThrow(
      expect.objectContaining({ reason: 'ROLLBACK' }),
    );
    expect(() => applyDelta(listAt(5, NOW + 120), deltaFrom(5, 5), { now: NOW })).toThrow(
      expect.objectContaining({ reason: 'ROLLBACK' }),
    );
  });

  it('refuses a delta that does not start at the version held (GAP)', () => {
    expect(() => applyDelta(listAt(2), deltaFrom(3, 5), { now: NOW })).toThrow(
      expect.objectContaining({ reason: 'GAP' }),
    );
    expect(() =>
      applyDelta(listAt(2), deltaFrom(2, 5, { entries: entries.slice(2, 4) }), { now: NOW }),
    ).toThrow(expect.objectContaining({ reason: 'GAP' }));
  });

  it('refuses a delta whose chain does not arrive at its signed head (FORK)', () => {
    const forkedHead = listAt(4).logHead;
    expect(() => applyDelta(listAt(2), deltaFrom(2, 5, { logHead: forkedHead }), { now: NOW })).toThrow(
      expect.objectContaining({ reason: 'FORK' }),
    );
    const otherHistory = { ...listAt(2), logHead: listAt(1).logHead };
    expect(() => applyDelta(otherHistory, deltaFrom(2, 5), { now: NOW })).toThrow(
      expect.objectContaining({ reason: 'FORK' }),
    );
  });

  it('refuses an expired delta', () => {
    expect(() => applyDelta(listAt(2), deltaFrom(2, 5), { now: NOW + 2 * DAY })).toThrow(
      expect.objectContaining({ reason: 'EXPIRED' }),
    );
  });

  it('refreshes the expiry with an empty delta', () => {
    const next = applyDelta(listAt(5), deltaFrom(5, 5), { now: NOW });
    expect(next).toEqual(listAt(5, NOW + 60));
  });
});

describe('choosing between two lists', () => {
  it('never lets an older concurrent fetch replace a newer list', () => {
    expect(isNewer(listAt(5), listAt(4))).toBe(true);
    expect(isNewer(listAt(4), listAt(5))).toBe(false);
    expect(isNewer(listAt(5, NOW + 60), listAt(5))).toBe(true);
    expect(isNewer(listAt(5), listAt(5, NOW + 60))).toBe(false);
    expect(isNewer({ ...listAt(5, NOW + 60), logHead: listAt(4).logHead }, listAt(5))).toBe(false);
    expect(isNewer(listAt(1), undefined)).toBe(true);
  });
});
