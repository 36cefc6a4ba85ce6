/**
 * Deltas are static artefacts (issue 12 item 3): signed when the list is published (after a change,
 * on the re-issue schedule), stored, and served as they are for `GET /v1/trust-list?since=`. No query
 * parameter makes the exchange sign: the federation signer is counted.
 */
import {
  applyDelta,
  federationKeys,
  openDelta,
  openTrustList,
} from '../../functions/core/trustlist/trust-list';
import { create as createPublisher } from '../../functions/exchange/handlers/publish-trust-list';
import { DELTA_FROM_VERSIONS } from '../../functions/exchange/trust-list-publisher';
import { createTable } from '../../functions/aws/dynamodb';
import { EXCHANGE_TABLE } from '../../functions/core/storage/tables';
import { dynaliteTables, lambdaContext, type DynaliteTables } from '../kit';
import { DAY, FEDERATION, publishOp, signed, testExchange, testKey, ZJ } from './fixtures';

let db: DynaliteTables;
afterAll(() => db?.close());

const problemCode = (res: { body?: unknown }) => JSON.parse(String(res.body)).code as string;

it('serves ?since= from stored deltas and never signs for a request', async () => {
  db = await dynaliteTables();
  const ex = await testExchange(db.client, db.tableName);
  const keys = federationKeys({ keys: [{ ...ex.fed.publicJwk }] }, FEDERATION);
  const sign = jest.spyOn(ex.fed.signer, 'sign');

  // changes: a registration, then key publications (each publication signs its deltas)
  const zj = await testKey();
  expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
  for (let i = 0; i < 3; i++) {
    ex.time.advance(10);
    const key = await testKey();
    const res = await ex.publish(
      ZJ,
      await signed(zj.signer, ZJ, publishOp(key, { notBefore: ex.time.now() })),
    );
    expect(res.statusCode).toBe(201);
  }
  const head = 4;
  const signedByChanges = sign.mock.calls.length;
  expect(signedByChanges).toBeGreaterThan(0);

  // requests: every version, beyond the head, malformed, many times
  const answers: Record<string, number> = {};
  for (let round = 0; round < 3; round++) {
    for (const since of ['0', '1', '2', '3', '4', '5', '999', 'x']) {
      answers[since] = (await ex.trustList({ since })).statusCode;
    }
  }
  expect(sign.mock.calls.length).toBe(signedByChanges); // not one signature for a request
  expect(answers).toEqual({ 0: 404, 1: 200, 2: 200, 3: 200, 4: 200, 5: 400, 999: 400, x: 400 });
  expect(problemCode(await ex.trustList({ since: '0' }))).toBe('DELTA_UNAVAILABLE');

  // each stored delta takes its holder to the head in one step, and applies on the list it names
  const full = await openTrustList((await ex.trustList()).body, keys, { now: ex.time.now() });
  for (const from of [1, 2, 3, 4]) {
    const delta = await openDelta((await ex.trustList({ since: String(from) })).body, keys, {
      now: ex.time.now(),
    });
    expect([delta.fromVersion, delta.version]).toEqual([from, head]);
  }
  const fromHead = await openDelta((await ex.trustList({ since: '4' })).body, keys, { now: ex.time.now() });
  expect(applyDelta(full, fromHead, { now: ex.time.now() }).version).toBe(head);

  // the re-issue schedule signs the head's empty delta for the new window, once
  ex.time.advance(3600);
  const before = sign.mock.calls.length;
  expect((await createPublisher(ex.deps)({} as never, lambdaContext())).deltas).toBe(1);
  expect((await createPublisher(ex.deps)({} as never, lambdaContext())).deltas).toBe(0);
  expect(sign.mock.calls.length).toBe(before + 1);
  const reissued = await openDelta((await ex.trustList({ since: '4' })).body, keys, { now: ex.time.now() });
  expect(reissued.issuedAt).toBeGreaterThan(fromHead.issuedAt);

  // an expired stored delta is not served: the holder fetches the full list
  ex.time.advance(DAY);
  const gone = await ex.trustList({ since: '1' });
  expect([gone.statusCode, problemCode(gone)]).toEqual([404, 'DELTA_UNAVAILABLE']);
  expect(sign.mock.calls.length).toBe(before + 1);
});

it(`keeps deltas from the last ${DELTA_FROM_VERSIONS} published versions to the head; an older holder catches up along the chain`, async () => {
  const table = 'static-deltas-window';
  await createTable(db.client, EXCHANGE_TABLE, table);
  const ex = await testExchange(db.client, table);
  const zj = await testKey();
  expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
  const publications = DELTA_FROM_VERSIONS + 2;
  for (let i = 0; i < publications; i++) {
    ex.time.advance(10);
    const key = await testKey();
    const res = await ex.publish(
      ZJ,
      await signed(zj.signer, ZJ, publishOp(key, { notBefore: ex.time.now() })),
    );
    expect(res.statusCode).toBe(201);
  }
  const head = 1 + publications;
  const keys = federationKeys({ keys: [{ ...ex.fed.publicJwk }] }, FEDERATION);
  const deltaFrom = async (since: number) =>
    openDelta((await ex.trustList({ since: String(since) })).body, keys, { now: ex.time.now() });
  // the head and the DELTA_FROM_VERSIONS versions published before it: one delta to the head
  for (let v = head - DELTA_FROM_VERSIONS; v <= head; v++) expect((await deltaFrom(v)).version).toBe(head);
  // older: the delta stored when it was within the window goes part of the way, the next one the rest
  const first = await deltaFrom(1);
  expect(first.version).toBeLessThan(head);
  expect((await deltaFrom(first.version)).version).toBe(head);
  // once those expire (a day), the holder is told to fetch the full list
  ex.time.advance(DAY);
  expect((await ex.trustList({ since: '1' })).statusCode).toBe(404);
});
