/**
 * A trust list is never dated before what it carries: `issuedAt` is the time of the last change, or
 * the start of the current re-issue window when that is later (a fresh federation used to report a
 * list 10-14 minutes old, older than its own keys).
 */
import { openDelta, openTrustList, federationKeys } from '../../functions/core/trustlist/trust-list';
import { create as createPublisher } from '../../functions/exchange/handlers/publish-trust-list';
import { REISSUE_SECONDS } from '../../functions/exchange/trust-list-publisher';
import { dynaliteTables, lambdaContext, type DynaliteTables } from '../kit';
import { DAY, FEDERATION, NOW, publishOp, signed, testExchange, testKey, ZJ } from './fixtures';

let db: DynaliteTables;
afterAll(() => db?.close());

it('dates the list at its last change, keeps it for the window, and re-issues it at the next window', async () => {
  db = await dynaliteTables();
  const ex = await testExchange(db.client, db.tableName);
  const keys = () => federationKeys({ keys: [{ ...ex.fed.publicJwk }] }, FEDERATION);
  const windowStart = NOW - (NOW % REISSUE_SECONDS);
  expect(NOW - windowStart).toBeGreaterThan(60); // the fixture's clock is well inside a window

  const zj = await testKey();
  expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
  ex.time.advance(5);
  const key = await testKey();
  expect(
    (await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(key, { notBefore: NOW + 5 })))).statusCode,
  ).toBe(201);
  const fresh = await openTrustList((await ex.trustList()).body, keys(), { now: ex.time.now() });
  const notBefore = Math.max(...fresh.provinces.flatMap((p) => p.keys.map((k) => k.notBefore)));

  ex.time.advance(50); // still in the window (it ends at NOW + 100)
  const unchanged = await ex.trustList();
  ex.time.set(windowStart + REISSUE_SECONDS + 7);
  const reissued = await openTrustList((await ex.trustList()).body, keys(), { now: ex.time.now() });
  const before = await openDelta((await ex.trustList({ since: '2' })).body, keys(), { now: ex.time.now() });
  // the scheduled publication re-issues the head's delta for the new window
  await createPublisher(ex.deps)({} as never, lambdaContext());
  const delta = await openDelta((await ex.trustList({ since: '2' })).body, keys(), { now: ex.time.now() });
  // a delta from an older version stays as it was signed at the change (valid until it expires)
  const older = await openDelta((await ex.trustList({ since: '1' })).body, keys(), { now: ex.time.now() });

  expect(fresh.issuedAt).toBe(NOW + 5);
  expect(fresh.issuedAt).toBeGreaterThanOrEqual(notBefore);
  expect(fresh.expiresAt).toBe(NOW + 5 + DAY);
  expect(JSON.parse(Buffer.from(String(unchanged.body).split('.')[1], 'base64url').toString()).issuedAt).toBe(
    NOW + 5,
  );
  expect(reissued.issuedAt).toBe(windowStart + REISSUE_SECONDS);
  expect(before.issuedAt).toBe(NOW + 5);
  expect(delta.issuedAt).toBe(windowStart + REISSUE_SECONDS);
  expect([delta.fromVersion, delta.version, delta.entries.length]).toEqual([2, 2, 0]);
  expect([older.fromVersion, older.version, older.issuedAt]).toEqual([1, 2, NOW + 5]);
});
