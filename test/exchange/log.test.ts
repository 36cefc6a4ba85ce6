import { TrustListRejected } from '../../functions/core/errors';
import type { LogEntry } from '../../functions/core/schemas/types.gen';
import { canonicalJson } from '../../functions/core/trustlist/jcs';
import {
  GENESIS_HASH,
  hashEntry,
  makeEntry,
  verifyChain,
  type LogEntryInput,
} from '../../functions/core/trustlist/log';
import {
  applyEntries,
  applyEntry,
  emptyTrustList,
  pruneExpiredRevocations,
} from '../../functions/core/trustlist/state';
import { LIMITS } from '../../functions/core/profiles';
import {
  DAY,
  FEDERATION,
  GD,
  NOW,
  codeRevokedInput,
  publishedInput,
  registeredInput,
  revokedInput,
  sunsetInput,
  testKey,
  ZJ,
} from './fixtures';

const reasonOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof TrustListRejected ? e.reason : `not TrustListRejected: ${String(e)}`;
  }
};

/** A chain from the given inputs (seq filled in). */
function chain(inputs: Omit<LogEntryInput, 'seq'>[], start?: LogEntry): LogEntry[] {
  const out: LogEntry[] = [];
  let prev = start;
  for (const input of inputs) {
    prev = makeEntry(prev, { ...input, seq: (prev?.seq ?? 0) + 1 } as LogEntryInput);
    out.push(prev);
  }
  return out;
}

async function sampleLog() {
  const enroll = await testKey();
  const signing = await testKey();
  const entries = chain([
    registeredInput(enroll),
    await publishedInput(enroll, signing, { at: NOW + 1 }),
    await codeRevokedInput(enroll, 'AAAAAAAAAAAAAAAAAAAAAA', { at: NOW + 2, revokedAt: NOW + 2 }),
    await revokedInput(enroll, signing.kid, { at: NOW + 3, reason: 'superseded', revokedAt: NOW + 3 }),
    { at: NOW + 4, type: 'province.suspended', region: ZJ, data: {} },
  ] as Omit<LogEntryInput, 'seq'>[]);
  return { entries, signing, enroll };
}

describe('RFC 8785 canonical form', () => {
  it('sorts members by UTF-16 code units and serializes numbers and strings the ECMAScript way', () => {
    // RFC 8785 section 3.2.3 sorting example, and section 3.2.2 primitives.
    expect(
      canonicalJson({
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew',
        '1': 'One',
        '\u{1f600}': 'Emoji',
        '\u0080': 'Control',
        '\u00f6': 'Latin',
      }),
    ).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin","\u20ac":"Euro Sign","\u{1f600}":"Emoji","\ufb33":"Hebrew"}',
    );
    expect(
      canonicalJson({
        numbers: [333333333.3333333, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
        literals: [null, true, false],
      }),
    ).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}');
  });

  it('refuses values I-JSON cannot hold', () => {
    expect(() => canonicalJson({ a: '\ud800' })).toThrow(TypeError);
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
  });
});

describe('the log hash chain', () => {
  it('chains the first entry to the genesis hash and each entry to its predecessor', async () => {
    const { entries } = await sampleLog();
    expect(entries[0].prev).toBe(GENESIS_HASH);
    for (let i = 1; i < entries.length; i++) expect(entries[i].prev).toBe(entries[i - 1].hash);
    expect(entries.every((e) => e.hash === hashEntry(e))).toBe(true);
    expect(verifyChain(undefined, entries)).toEqual({ seq: 5, hash: entries[4].hash });
  });

  it('hashes the canonical form, so member order does not matter', async () => {
    const { entries } = await sampleLog();
    const { hash, ...rest } = entries[1];
    const reordered = Object.fromEntries(Object.entries(rest).reverse()) as typeof rest;
    expect(hashEntry(reordered)).toBe(hash);
  });

  it('continues from a held head', async () => {
    const { entries } = await sampleLog();
    const head = verifyChain(undefined, entries.slice(0, 2));
    expect(verifyChain(head, entries.slice(2)).seq).toBe(5);
  });

  it('refuses an altered entry with BAD_HASH', async () => {
    const { entries } = await sampleLog();
    const altered = entries.map((e, i) => (i === 2 ? { ...e, at: e.at + 1 } : e));
    expect(reasonOf(() => verifyChain(undefined, altered))).toBe('BAD_HASH');
  });

  it('refuses a skipped entry with GAP', async () => {
    const { entries } = await sampleLog();
    expect(reasonOf(() => verifyChain(undefined, [entries[0], ...entries.slice(2)]))).toBe('GAP');
    expect(reasonOf(() => verifyChain({ seq: 3, hash: entries[2].hash }, entries.slice(2)))).toBe('GAP');
  });

  it('refuses a fork: a rewritten entry with a valid hash of its own', async () => {
    const { entries } = await sampleLog();
    const [forked] = chain(
      [{ at: NOW + 9, type: 'province.suspended', region: ZJ, data: {} }] as Omit<LogEntryInput, 'seq'>[],
      { ...entries[0], hash: entries[0].hash.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
    );
    expect(reasonOf(() => verifyChain(undefined, [entries[0], forked]))).toBe('FORK');
  });

  it('makes entries only in sequence', async () => {
    const { entries } = await sampleLog();
    expect(() =>
      makeEntry(entries[0], { seq: 5, at: NOW, type: 'province.suspended', region: ZJ, data: {} }),
    ).toThrow(TypeError);
  });
});

describe('the trust list as a fold over the log', () => {
  it('applies the five entry types', async () => {
    const { entries, signing, enroll } = await sampleLog();
    const afterPublish = applyEntries(emptyTrustList(FEDERATION), entries.slice(0, 2));
    expect(afterPublish.provinces).toEqual([
      {
        region: ZJ,
        name: '浙江省',
        status: 'active',
        enrollmentKeys: [{ key: { ...enroll.publicJwk, kid: enroll.kid, alg: 'ES256' }, from: NOW }],
        keys: [
          {
            kid: signing.kid,
            alg: 'ES256',
            jwk: signing.publicJwk,
            notBefore: NOW,
            notAfter: NOW + 90 * DAY,
            status: 'active',
            request: (entries[1].data as { request: string }).request,
          },
        ],
      },
    ]);
    const list = applyEntries(afterPublish, entries.slice(2));
    expect(list.version).toBe(5);
    expect(list.logHead).toBe(entries[4].hash);
    expect(list.provinces[0].status).toBe('suspended');
    expect(list.provinces[0].keys[0]).toMatchObject({
      status: 'revoked',
      revokedAt: NOW + 3,
      reason: 'superseded',
    });
    expect(list.codeRevocations).toEqual([
      {
        region: ZJ,
        jti: 'AAAAAAAAAAAAAAAAAAAAAA',
        revokedAt: NOW + 2,
        exp: NOW + DAY,
        request: (entries[2].data as { request: string }).request,
      },
    ]);
  });

  it('never changes the list it is given', async () => {
    const { entries } = await sampleLog();
    const two = applyEntries(emptyTrustList(FEDERATION), entries.slice(0, 2));
    const frozen = JSON.stringify(two);
    applyEntries(two, entries.slice(2));
    expect(JSON.stringify(two)).toBe(frozen);
  });

  it('gives the same list entry by entry as all at once', async () => {
    const { entries } = await sampleLog();
    const stepwise = entries.reduce(applyEntry, emptyTrustList(FEDERATION));
    expect(stepwise).toEqual(applyEntries(emptyTrustList(FEDERATION), entries));
  });

  it('refuses entries that make no sense against the state', async () => {
    const { entries, signing, enroll } = await sampleLog();
    const registered = applyEntry(emptyTrustList(FEDERATION), entries[0]);
    const strays = chain([await publishedInput(enroll, signing, { region: GD })], entries[0]);
    expect(reasonOf(() => applyEntry(registered, strays[0]))).toBe('INVALID_ENTRY');
    const revokeUnknown = chain([await revokedInput(enroll, signing.kid)], entries[0]);
    expect(reasonOf(() => applyEntry(registered, revokeUnknown[0]))).toBe('INVALID_ENTRY');
    expect(reasonOf(() => applyEntry(registered, entries[2]))).toBe('GAP');
    // A key already in use for another role (here the province's own enrollment key).
    const enrollmentAsSigning = chain([await publishedInput(enroll, enroll)], entries[0]);
    expect(reasonOf(() => applyEntry(registered, enrollmentAsSigning[0]))).toBe('INVALID_ENTRY');
  });

  it('refuses a key entry its province did not sign with its enrollment key', async () => {
    const { entries, signing, enroll } = await sampleLog();
    const registered = applyEntry(emptyTrustList(FEDERATION), entries[0]);
    const intruder = await testKey();
    const published = await publishedInput(enroll, signing);
    const cases: Omit<LogEntryInput, 'seq'>[] = [
      // signed by someone else's key
      await publishedInput(intruder, signing),
      // no request at all, or not a JWS
      { ...published, data: { ...published.data, request: undefined } } as unknown as Omit<
        LogEntryInput,
        'seq'
      >,
      { ...published, data: { ...published.data, request: 'a.b.c' } },
      // the province's genuine request, but for another key, window or province
      { ...published, data: { ...published.data, jwk: intruder.publicJwk, kid: intruder.kid } },
      { ...published, data: { ...published.data, notAfter: published.data.notAfter + DAY } },
      { ...(await publishedInput(enroll, signing, { region: GD })), region: ZJ },
    ];
    for (const input of cases) {
      expect(reasonOf(() => applyEntry(registered, chain([input], entries[0])[0]))).toBe(
        'PROVINCE_SIGNATURE_INVALID',
      );
    }
    const withKey = applyEntry(registered, chain([published], entries[0])[0]);
    const revoked = await revokedInput(enroll, signing.kid, { reason: 'retired' });
    for (const input of [
      await revokedInput(intruder, signing.kid),
      { ...revoked, data: { ...revoked.data, reason: 'compromised' as const } },
    ]) {
      const entry = makeEntry(
        { ...entries[0], seq: 2, hash: withKey.logHead } as LogEntry,
        {
          ...input,
          seq: 3,
        } as LogEntryInput,
      );
      expect(reasonOf(() => applyEntry(withKey, entry))).toBe('PROVINCE_SIGNATURE_INVALID');
    }
  });

  it('refuses a code revocation its province did not sign with its enrollment key', async () => {
    const { entries, signing, enroll } = await sampleLog();
    // After the key's publication: the province is active and the code revocation comes next.
    const base = applyEntries(emptyTrustList(FEDERATION), entries.slice(0, 2));
    const jti = 'AAAAAAAAAAAAAAAAAAAAAA';
    const genuine = await codeRevokedInput(enroll, jti, { at: NOW + 2, revokedAt: NOW + 2 });
    expect(applyEntry(base, chain([genuine], entries[1])[0]).codeRevocations).toHaveLength(1);
    const intruder = await testKey();
    const keyRevoke = (await revokedInput(enroll, signing.kid)).data.request;
    const otherCode = await codeRevokedInput(enroll, 'BBBBBBBBBBBBBBBBBBBBBB', { revokedAt: NOW + 2 });
    const cases = [
      // signed by someone else's key (an insider's own)
      await codeRevokedInput(intruder, jti, { at: NOW + 2, revokedAt: NOW + 2 }),
      // not a JWS, or the province's genuine request for another operation or another code
      { ...genuine, data: { ...genuine.data, request: 'a.b.c' } },
      { ...genuine, data: { ...genuine.data, request: keyRevoke } },
      { ...genuine, data: { ...genuine.data, request: otherCode.data.request } },
      // its genuine request with the expiry or the time changed, or moved to another province
      { ...genuine, data: { ...genuine.data, exp: genuine.data.exp + DAY } },
      { ...genuine, data: { ...genuine.data, revokedAt: NOW + 3 } },
      { ...(await codeRevokedInput(enroll, jti, { region: GD, revokedAt: NOW + 2 })), region: ZJ },
    ];
    for (const input of cases) {
      expect(reasonOf(() => applyEntry(base, chain([input], entries[1])[0]))).toBe(
        'PROVINCE_SIGNATURE_INVALID',
      );
    }
  });

  it('folds a province sunset only with the province’s own signed sunset request', async () => {
    const { entries, signing, enroll } = await sampleLog();
    const base = applyEntries(emptyTrustList(FEDERATION), entries.slice(0, 2));
    const genuine = await sunsetInput(enroll, [signing.kid], { at: NOW + 2 });
    const after = applyEntry(base, chain([genuine], entries[1])[0]);
    expect(after.provinces[0].status).toBe('sunset');
    expect(after.provinces[0].keys[0]).toMatchObject({
      status: 'revoked',
      reason: 'retired',
      revokedAt: NOW + 2,
      revokeRequest: genuine.data.request,
    });
    const intruder = await testKey();
    const revokeRequest = (await revokedInput(enroll, signing.kid)).data.request;
    for (const input of [
      // signed by someone else's key
      await sunsetInput(intruder, [signing.kid], { at: NOW + 2 }),
      // no request, or the province's genuine request for another operation or province
      { ...genuine, data: { retired: [signing.kid] } },
      { ...genuine, data: { ...genuine.data, request: revokeRequest } },
      { ...(await sunsetInput(enroll, [signing.kid], { region: GD, at: NOW + 2 })), region: ZJ },
    ] as Omit<LogEntryInput, 'seq'>[]) {
      expect(reasonOf(() => applyEntry(base, chain([input], entries[1])[0]))).toBe(
        'PROVINCE_SIGNATURE_INVALID',
      );
    }
  });

  it('lets a superseded or retired key become compromised, never the other way', async () => {
    const { entries, signing, enroll } = await sampleLog();
    // entries[3] revoked the key as superseded; a compromised revocation follows it.
    const base = applyEntries(emptyTrustList(FEDERATION), entries.slice(0, 4));
    const escalated = chain(
      [await revokedInput(enroll, signing.kid, { reason: 'compromised', at: NOW + 5 })],
      entries[3],
    );
    const after = applyEntry(base, escalated[0]);
    expect(after.provinces[0].keys[0]).toMatchObject({ status: 'revoked', reason: 'compromised' });
    const back = chain(
      [await revokedInput(enroll, signing.kid, { reason: 'retired', at: NOW + 6 })],
      escalated[0],
    );
    expect(reasonOf(() => applyEntry(after, back[0]))).toBe('INVALID_ENTRY');
    const twice = chain(
      [await revokedInput(enroll, signing.kid, { reason: 'superseded', at: NOW + 5 })],
      entries[3],
    );
    expect(reasonOf(() => applyEntry(base, twice[0]))).toBe('INVALID_ENTRY');
  });

  it('drops a code revocation once the code itself has expired', async () => {
    const { entries } = await sampleLog();
    const list = applyEntries(emptyTrustList(FEDERATION), entries);
    const exp = list.codeRevocations[0].exp;
    expect(pruneExpiredRevocations(list, exp + LIMITS.clockSkew)).toBe(list);
    expect(pruneExpiredRevocations(list, exp + LIMITS.clockSkew + 1).codeRevocations).toEqual([]);
  });

  it('agrees whether a repeated code revocation meets the first one or finds it pruned', async () => {
    const { entries, enroll } = await sampleLog();
    const base = applyEntries(emptyTrustList(FEDERATION), entries.slice(0, 3));
    const again = chain(
      [
        await codeRevokedInput(enroll, 'BBBBBBBBBBBBBBBBBBBBBB', {
          at: NOW + 5,
          exp: NOW + 3 * DAY,
          revokedAt: NOW + 5,
        }),
        await codeRevokedInput(enroll, 'AAAAAAAAAAAAAAAAAAAAAA', {
          at: NOW + 6,
          exp: NOW + 5 * DAY,
          revokedAt: NOW + 6,
        }),
      ],
      entries[2],
    );
    const later = NOW + 2 * DAY;
    const straight = pruneExpiredRevocations(applyEntries(base, again), later);
    const prunedBetween = pruneExpiredRevocations(
      applyEntries(pruneExpiredRevocations(base, later), again),
      later,
    );
    expect(prunedBetween).toEqual(straight);
    expect(straight.codeRevocations.map((r) => r.jti)).toEqual([
      'BBBBBBBBBBBBBBBBBBBBBB',
      'AAAAAAAAAAAAAAAAAAAAAA',
    ]);
  });
});

describe('log pages (readLogPage)', () => {
  // An in-memory log of entries of ~1 MB each: what a page may hold is bounded by bytes too.
  const big = (seq: number) =>
    ({ seq, type: 'code.revoked', data: { pad: 'x'.repeat(1024 * 1024) } }) as never;
  const log = Array.from({ length: 10 }, (_, i) => big(i + 1)) as LogEntry[];
  const ctx = {
    repository: {
      readLog: async (after: number, limit: number) => log.filter((e) => e.seq > after).slice(0, limit),
      lastEntry: async () => log[log.length - 1],
    },
  } as never;

  it('stops a page before LOG_PAGE_MAX_BYTES even under the limit, and the next page follows on', async () => {
    const { LOG_PAGE_MAX_BYTES, readLogPage } = await import('../../functions/exchange/queries');
    const first = await readLogPage(ctx, 0, 1000);
    const size = Buffer.byteLength(JSON.stringify(first.entries));
    expect(first.entries.length).toBeGreaterThan(0);
    expect(first.entries.length).toBeLessThan(10);
    expect(size).toBeLessThanOrEqual(LOG_PAGE_MAX_BYTES + 1024);
    expect(first.next).toBe(first.entries[first.entries.length - 1].seq);
    const all = [...first.entries];
    let next = first.next;
    while (next !== undefined) {
      const page = await readLogPage(ctx, next, 1000);
      all.push(...page.entries);
      next = page.next;
    }
    expect(all.map((e) => e.seq)).toEqual(log.map((e) => e.seq));
  });

  it('keeps the limit as the page size when entries are small, and holds one entry however large', async () => {
    const { readLogPage } = await import('../../functions/exchange/queries');
    const small = Array.from({ length: 5 }, (_, i) => ({ seq: i + 1 })) as LogEntry[];
    const smallCtx = {
      repository: {
        readLog: async (after: number, limit: number) => small.filter((e) => e.seq > after).slice(0, limit),
        lastEntry: async () => small[4],
      },
    } as never;
    expect(await readLogPage(smallCtx, 0, 3)).toEqual({ entries: small.slice(0, 3), next: 3 });
    expect(await readLogPage(smallCtx, 0, 5)).toEqual({ entries: small });
    const huge = [{ seq: 1, pad: 'y'.repeat(5 * 1024 * 1024) }, { seq: 2 }] as unknown as LogEntry[];
    const hugeCtx = {
      repository: { readLog: async () => huge, lastEntry: async () => huge[1] },
    } as never;
    expect(await readLogPage(hugeCtx, 0, 1000)).toEqual({ entries: [huge[0]], next: 1 });
  });
});
