/**
 * Recovery from a leaked enrollment key (issue 19 item 4): `POST /v1/provinces/{region}/enrollment-key`
 * and `POST /v1/provinces/{region}/resume` (operator) through their real handlers over dynalite, and
 * the fold every verifier of the list runs: the old key signs nothing from the re-enrollment on.
 */
import { TrustListRejected } from '../../functions/core/errors';
import type { LogEntry } from '../../functions/core/schemas/types.gen';
import { makeEntry, type LogEntryInput } from '../../functions/core/trustlist/log';
import { applyEntries, emptyTrustList } from '../../functions/core/trustlist/state';
import { captureLogs, dynaliteTables, type DynaliteTables } from '../kit';
import {
  DAY,
  FEDERATION,
  GD,
  NOW,
  publishedInput,
  publishOp,
  registeredInput,
  signed,
  testExchange,
  testKey,
  ZJ,
  type TestKey,
} from './fixtures';

let db: DynaliteTables;
let ex: Awaited<ReturnType<typeof testExchange>>;
let zj: TestKey;
let gd: TestKey;

beforeAll(async () => {
  db = await dynaliteTables();
  ex = await testExchange(db.client, db.tableName);
  [zj, gd] = await Promise.all([testKey(), testKey()]);
  expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
  expect((await ex.register(GD, '广东省', gd.publicJwk)).statusCode).toBe(201);
});
afterAll(() => db.close());

const jwkOf = (k: TestKey) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg });

/** Publish a fresh key for GD signed by `enroll`; answers the response and the refusal reason logged. */
async function publishAs(enroll: TestKey) {
  const logs = captureLogs();
  const res = await ex
    .publish(GD, await signed(enroll.signer, GD, publishOp(await testKey())))
    .finally(() => logs.stop());
  const reason = logs.records().find((r) => r.message === 'signed request refused')?.reason;
  return { status: res.statusCode, code: res.json().code as string, reason };
}

describe('re-enrollment and resumption of a suspended province', () => {
  let fresh: TestKey;
  beforeAll(async () => {
    fresh = await testKey();
  });

  it('refuses to re-enroll an active province (409 PROVINCE_NOT_SUSPENDED) or an unknown one (404)', async () => {
    const active = await ex.reenroll(GD, fresh.publicJwk);
    const unknown = await ex.reenroll('350000', fresh.publicJwk);
    expect([active.statusCode, active.json().code]).toEqual([409, 'PROVINCE_NOT_SUSPENDED']);
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
  });

  it('refuses a new enrollment key already in use anywhere in the federation (409 KEY_ALREADY_KNOWN)', async () => {
    expect((await ex.suspend(GD)).statusCode).toBe(200);
    const federationKey = await ex.reenroll(GD, ex.fed.publicJwk);
    const othersEnrollment = await ex.reenroll(GD, zj.publicJwk);
    const ownOldKey = await ex.reenroll(GD, gd.publicJwk);
    for (const res of [federationKey, othersEnrollment, ownOldKey]) {
      expect([res.statusCode, res.json().code]).toEqual([409, 'KEY_ALREADY_KNOWN']);
    }
  });

  it('re-enrolls: 200, a province.reenrolled entry, still suspended; the old key is refused as KID_MISMATCH', async () => {
    const res = await ex.reenroll(GD, fresh.publicJwk);
    const last = (await ex.log()).json().entries.at(-1) as LogEntry;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ region: GD, status: 'suspended', enrollmentKid: fresh.kid });
    expect([last.type, 'region' in last && last.region]).toEqual(['province.reenrolled', GD]);
    expect(await publishAs(gd)).toEqual({ status: 401, code: 'UNAUTHORIZED', reason: 'KID_MISMATCH' });
    // Not resumed yet: the new key is refused too, as not active.
    expect(await publishAs(fresh)).toEqual({
      status: 401,
      code: 'UNAUTHORIZED',
      reason: 'PROVINCE_SUSPENDED',
    });
  });

  it('resumes: 200, a province.resumed entry; the new key publishes, the old key stays refused', async () => {
    const res = await ex.resume(GD);
    const entries = (await ex.log()).json().entries as LogEntry[];
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ region: GD, status: 'active', version: entries.at(-1)!.seq });
    expect(entries.at(-1)!.type).toBe('province.resumed');
    expect((await publishAs(fresh)).status).toBe(201);
    expect(await publishAs(gd)).toEqual({ status: 401, code: 'UNAUTHORIZED', reason: 'KID_MISMATCH' });
    const provinces = (await ex.provinces()).json().provinces as { region: string; status: string }[];
    expect(provinces.find((p) => p.region === GD)?.status).toBe('active');
  });

  it('answers a repeated resumption 200 without a new entry, and 404 for an unknown province', async () => {
    const before = (await ex.log()).json().entries.length as number;
    const again = await ex.resume(GD);
    const unknown = await ex.resume('350000');
    expect([again.statusCode, again.json().version]).toEqual([200, before]);
    expect((await ex.log()).json().entries).toHaveLength(before);
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('the fold after a re-enrollment (what every verifier of the list runs)', () => {
  const REENROLLED = NOW + 100;

  function chain(inputs: Omit<LogEntryInput, 'seq'>[]): LogEntry[] {
    const out: LogEntry[] = [];
    for (const input of inputs)
      out.push(makeEntry(out.at(-1), { ...input, seq: out.length + 1 } as LogEntryInput));
    return out;
  }

  async function reenrolledLog() {
    const [old, fresh] = await Promise.all([testKey(), testKey()]);
    const base: Omit<LogEntryInput, 'seq'>[] = [
      registeredInput(old, GD),
      { at: NOW + 50, type: 'province.suspended', region: GD, data: {} },
      { at: REENROLLED, type: 'province.reenrolled', region: GD, data: { enrollmentKey: jwkOf(fresh) } },
      { at: REENROLLED + 1, type: 'province.resumed', region: GD, data: {} },
    ] as Omit<LogEntryInput, 'seq'>[];
    return { old, fresh, base };
  }

  /** A key.published entry signed by `enroll` at `iat`. */
  async function publishedAt(enroll: TestKey, iat: number) {
    const key = await testKey();
    const input = await publishedInput(enroll, key, { region: GD, at: iat });
    const request = await signed(enroll.signer, GD, publishOp(key), { iat });
    return { ...input, data: { ...input.data, request } };
  }

  const reasonOf = (entries: LogEntry[]) => {
    try {
      applyEntries(emptyTrustList(FEDERATION), entries);
      return undefined;
    } catch (e) {
      return e instanceof TrustListRejected ? e.reason : String(e);
    }
  };

  it('closes the old key at the re-enrollment and accepts the new one from then on', async () => {
    const { old, fresh, base } = await reenrolledLog();
    const list = applyEntries(
      emptyTrustList(FEDERATION),
      chain([...base, await publishedAt(fresh, REENROLLED + 2)]),
    );
    const gdList = list.provinces.find((p) => p.region === GD)!;
    expect(gdList.status).toBe('active');
    expect(gdList.enrollmentKeys.map((e) => [e.key.kid, e.from, e.until])).toEqual([
      [old.kid, NOW, REENROLLED],
      [fresh.kid, REENROLLED, undefined],
    ]);
    expect(gdList.keys).toHaveLength(1);
  });

  it('refuses a key the old enrollment key signed after the re-enrollment (PROVINCE_SIGNATURE_INVALID)', async () => {
    const { old, base } = await reenrolledLog();
    const planted = await publishedAt(old, REENROLLED + DAY);
    expect(reasonOf(chain([...base, planted]))).toBe('PROVINCE_SIGNATURE_INVALID');
  });

  it('refuses a re-enrollment of a province that is not suspended, or with a kid already in use (INVALID_ENTRY)', async () => {
    const { old, base } = await reenrolledLog();
    const [registered, , reenrolled] = base;
    expect(reasonOf(chain([registered, reenrolled]))).toBe('INVALID_ENTRY');
    const reused = { ...reenrolled, data: { enrollmentKey: jwkOf(old) } } as Omit<LogEntryInput, 'seq'>;
    expect(reasonOf(chain([registered, base[1], reused]))).toBe('INVALID_ENTRY');
    expect(reasonOf(chain([registered, { ...base[3] }]))).toBe('INVALID_ENTRY');
  });
});
