/**
 * Checkpoints of the exchange's folded state (issue 12 item 4): a cold instance loads the latest
 * checkpoint, checks it against the log (the entry at its version has its `logHead`), and folds only
 * the entries after it; expired revocations leave the checkpointed working set (the log keeps them).
 */
import type { LogEntry, TrustList } from '../../functions/core/schemas/types.gen';
import { createTable } from '../../functions/aws/dynamodb';
import { EXCHANGE_TABLE } from '../../functions/core/storage/tables';
import type { ExchangeRepository } from '../../functions/exchange/repository';
import { TrustListPublisher } from '../../functions/exchange/trust-list-publisher';
import { dynaliteTables, type DynaliteTables } from '../kit';
import { nonce, publishOp, signed, testExchange, testKey, ZJ } from './fixtures';

let db: DynaliteTables;
beforeAll(async () => {
  db = await dynaliteTables();
});
afterAll(() => db?.close());

const payload = (jws: string) =>
  JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString()) as TrustList;

/** The exchange's repository, with the log entries each cold fold reads counted. */
function counting(repository: ExchangeRepository) {
  const read: number[] = [];
  const wrapped: ExchangeRepository = Object.create(repository, {
    readLog: {
      value: async (after: number, limit: number): Promise<LogEntry[]> => {
        const entries = await repository.readLog(after, limit);
        read.push(...entries.map((e) => e.seq));
        return entries;
      },
    },
  });
  return { wrapped, read };
}

it('folds a cold instance from the checkpoint, not from genesis, and drops expired revocations', async () => {
  const table = 'checkpoint-cold';
  await createTable(db.client, EXCHANGE_TABLE, table);
  const ex = await testExchange(db.client, table);
  const zj = await testKey();
  expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
  // a code revocation that expires in an hour, then key publications
  const shortLived = { jti: nonce(), exp: ex.time.now() + 3600 };
  const res = await ex.revokeCodes(
    ZJ,
    await signed(zj.signer, ZJ, { op: 'code.revoke', codes: [shortLived] }),
  );
  expect(res.statusCode).toBeLessThan(300);
  for (let i = 0; i < 3; i++) {
    ex.time.advance(10);
    const key = await testKey();
    const body = await signed(zj.signer, ZJ, publishOp(key, { notBefore: ex.time.now() }), {
      iat: ex.time.now(),
    });
    expect((await ex.publish(ZJ, body)).statusCode).toBe(201);
  }
  const head = 5;

  // a checkpoint at the head, once the revocation has expired (every 3 entries here)
  ex.time.advance(2 * 3600);
  const warm = new TrustListPublisher(ex.deps, 3);
  expect(await warm.checkpointIfDue()).toBe(head);
  expect(await warm.checkpointIfDue()).toBeUndefined(); // not due again until 3 more entries
  const checkpoint = (await ex.deps.repository.getCheckpoint())!;
  expect(checkpoint.version).toBe(head);
  expect((JSON.parse(checkpoint.list) as TrustList).codeRevocations).toEqual([]);
  expect((await ex.deps.repository.readLog(0, 10)).filter((e) => e.type === 'code.revoked')).toHaveLength(1);

  // a cold instance reads only the checkpoint's own entry (to check it is on the log)
  const cold = counting(ex.deps.repository);
  const fromCheckpoint = await new TrustListPublisher({ ...ex.deps, repository: cold.wrapped }, 3).current();
  expect(cold.read).toEqual([head]);
  // and signs the list a fold from genesis gives
  const genesisRepo: ExchangeRepository = Object.create(ex.deps.repository, {
    getCheckpoint: { value: async () => undefined },
  });
  const fromGenesis = await new TrustListPublisher({ ...ex.deps, repository: genesisRepo }, 3).current();
  expect(payload(fromCheckpoint.jws)).toEqual(payload(fromGenesis.jws));

  // entries after the checkpoint: only those are folded
  for (let i = 0; i < 2; i++) {
    const key = await testKey();
    const body = await signed(zj.signer, ZJ, publishOp(key, { notBefore: ex.time.now() }), {
      iat: ex.time.now(),
    });
    expect((await ex.publish(ZJ, body)).statusCode).toBe(201);
  }
  const later = counting(ex.deps.repository);
  expect((await new TrustListPublisher({ ...ex.deps, repository: later.wrapped }, 3).current()).version).toBe(
    head + 2,
  );
  expect(later.read).toEqual([head, head + 1, head + 2]);
});

it('does not use a checkpoint the log disagrees with: it folds from genesis', async () => {
  const table = 'checkpoint-forged';
  await createTable(db.client, EXCHANGE_TABLE, table);
  const ex = await testExchange(db.client, table);
  const zj = await testKey();
  expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
  const key = await testKey();
  expect((await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(key)))).statusCode).toBe(201);
  const honest = await new TrustListPublisher(ex.deps).current();
  // a checkpoint at version 2 whose logHead is not the log's, carrying a list with no provinces
  const forged = { ...payload(honest.jws), provinces: [], logHead: 'F'.repeat(43) };
  await ex.deps.repository.putCheckpoint({
    version: 2,
    logHead: forged.logHead,
    list: JSON.stringify(forged),
  });
  const cold = counting(ex.deps.repository);
  const list = payload(
    (await new TrustListPublisher({ ...ex.deps, repository: cold.wrapped }).current()).jws,
  );
  expect(cold.read).toEqual([2, 1, 2]); // the checkpoint's entry, then the whole log from genesis
  expect(list.provinces.map((p) => p.region)).toEqual([ZJ]);
  expect(list.logHead).toBe(honest.logHead);
});
