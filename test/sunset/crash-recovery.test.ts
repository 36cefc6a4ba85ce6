/**
 * A sunset that crashes between the erasure and storing its report must not, when retried, report
 * 0 erased items: the counts are kept (the erasure tally) before anything is erased, and the retry
 * reports them. The crash is an injected failing dependency (the repository's report write fails
 * once) over the real DynamoDB wire protocol (dynalite).
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { EXCHANGE_TABLE, PROVINCE_TABLE } from '../../functions/core/storage/tables';
import type { DeletionReport } from '../../functions/core/schemas/types.gen';
import { erasedTotals } from '../../functions/core/sunset/report';
import { create as createIssue } from '../../functions/province/handlers/issue';
import { sunsetFederation } from '../../functions/exchange/sunset';
import { sunsetProvince } from '../../functions/province/sunset';
import { dynaliteTables, NOW, type DynaliteTables } from '../kit';
import { publishOp, signed, testExchange, testKey, GD, ZJ } from '../exchange/fixtures';
import {
  call,
  clock,
  fakeExchange,
  federationKey,
  issueBody,
  localSigner,
  provinceDeps,
} from '../province/fixtures';

const CRASH = 'injected crash between the erasure and the report';

/** `target` whose `method` fails (once, then works again). */
function crashingOnce<T extends object>(target: T, method: keyof T): T {
  let crashed = false;
  return new Proxy(target, {
    get(t, p) {
      const v = Reflect.get(t, p, t) as unknown;
      if (p === method && !crashed) {
        return async () => {
          crashed = true;
          throw new Error(CRASH);
        };
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

const payloadOf = (jws: string): DeletionReport => decodeJwt(jws) as unknown as DeletionReport;
const total = (counts: readonly { count: number }[]) => counts.reduce((n, c) => n + c.count, 0);

describe('federation sunset', () => {
  let db: DynaliteTables;
  beforeAll(async () => {
    db = await dynaliteTables([EXCHANGE_TABLE]);
  });
  afterAll(() => db.close());

  it('reports the true counts after a crash between the erasure and storing the report', async () => {
    const ex = await testExchange(db.client, db.tableName);
    const zj = await testKey();
    const gd = await testKey();
    expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
    expect((await ex.register(GD, '广东省', gd.publicJwk)).statusCode).toBe(201);
    expect((await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(await testKey())))).statusCode).toBe(
      201,
    );
    const before = await ex.deps.repository.countOperationalData();
    expect(total(before)).toBeGreaterThan(0);

    // The first run erases, then crashes before its report is stored.
    const crashing = { ...ex.deps, repository: crashingOnce(ex.deps.repository, 'putDeletionReport') };
    await expect(sunsetFederation(crashing)).rejects.toThrow(CRASH);
    expect(total(await ex.deps.repository.countOperationalData())).toBe(0);
    expect(await ex.deps.repository.getDeletionReport()).toBeUndefined();

    const retried = await sunsetFederation(ex.deps);

    expect(decodeProtectedHeader(retried.report).typ).toBe('hcx-deletion-report+jws');
    const report = payloadOf(retried.report);
    // The operator's sunset adds no item (suspending a province rewrites its items): the tally is what was there.
    expect(report.tables.map(({ kind, count }) => ({ kind, count }))).toEqual(erasedTotals(before, []));
    expect(report.tables.every((t) => t.table === EXCHANGE_TABLE.id)).toBe(true);
  });
});

describe('province sunset', () => {
  let db: DynaliteTables;
  beforeAll(async () => {
    db = await dynaliteTables([PROVINCE_TABLE]);
  });
  afterAll(() => db.close());

  it('reports the true counts after a crash between the erasure and storing the report', async () => {
    const exchange = fakeExchange(() => ({ status: 404, body: '' }));
    exchange.answerPosts(() => ({
      status: 200,
      body: JSON.stringify({
        region: ZJ,
        status: 'sunset',
        retired: [],
        sunsetAt: 1_790_000_100,
        logHead: { seq: 7, hash: 'a'.repeat(43) },
      }),
    }));
    const deps = provinceDeps({
      region: ZJ,
      client: db.client,
      tableName: db.tableName,
      issuerSigners: [await localSigner()],
      enrollmentSigner: await localSigner(),
      federationJwks: (await federationKey()).jwks,
      fetch: exchange.fetch,
      now: clock(NOW).now,
    });
    for (const colour of ['green', 'yellow']) {
      const res = await call(createIssue(deps), {
        method: 'POST',
        path: '/v1/codes',
        body: issueBody({ status: colour }),
      });
      expect(res.statusCode).toBe(201);
    }
    await deps.repository.putPendingRevocation({
      codeId: 'c'.repeat(22),
      exp: 1_790_086_400,
      revokedAt: NOW,
    });
    const before = await deps.repository.countHolderData();
    expect(before).toEqual([
      { kind: 'issued-code', count: 2 },
      { kind: 'pending-revocation', count: 1 },
    ]);

    const crashing = { ...deps, repository: crashingOnce(deps.repository, 'putSunsetReport') };
    await expect(sunsetProvince(crashing)).rejects.toThrow(CRASH);
    expect(total(await deps.repository.countHolderData())).toBe(0);
    expect((await deps.repository.getSunset())?.report).toBeUndefined();

    const retried = await sunsetProvince(deps);

    expect(payloadOf(retried.report).tables).toEqual([
      { table: PROVINCE_TABLE.id, kind: 'issued-code', count: 2 },
      { table: PROVINCE_TABLE.id, kind: 'pending-revocation', count: 1 },
    ]);
  });
});

describe('erasedTotals', () => {
  it('takes the kept tally, or what this run erased when that is more (an item written after the count)', () => {
    expect(
      erasedTotals(
        [
          { kind: 'request-nonce', count: 2 },
          { kind: 'province', count: 3 },
        ],
        [
          { kind: 'request-nonce', count: 3 },
          { kind: 'province', count: 0 },
        ],
      ),
    ).toEqual([
      { kind: 'province', count: 3 },
      { kind: 'request-nonce', count: 3 },
    ]);
  });
});
