/** Per-lane append leases on the real wire protocol (dynalite): cap, wait, refusal, expiry. */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../functions/aws/dynamodb';
import { CallerLimit } from '../../functions/province/caller-limit';
import { HcxError } from '../../functions/core/errors';
import { runInvocation } from '../../functions/core/invocation';
import { DynamoExchangeRepository } from '../../functions/exchange/dynamo-repository';
import { AppendLaneBusy, laneSlotKey, LaneLeases } from '../../functions/exchange/lane-leases';
import { dynaliteTables, lambdaContext, type DynaliteTables } from '../kit';

let db: DynaliteTables;
beforeAll(async () => {
  db = await dynaliteTables();
});
afterAll(() => db.close());

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof HcxError ? e.code : String(e);
  }
};

describe('lane leases', () => {
  it('lets at most perLane appends of one lane in flight across instances; the next waits, then APPEND_LANE_BUSY', async () => {
    // Two "instances": separate objects, one table.
    const a = new LaneLeases(db.client, db.tableName, { perLane: 2, waitMs: 150 });
    const b = new LaneLeases(db.client, db.tableName, { perLane: 2, waitMs: 150 });
    const r1 = await a.acquire('440000');
    const r2 = await b.acquire('440000');
    const refused = b.acquire('440000');
    await expect(refused).rejects.toBeInstanceOf(AppendLaneBusy);
    expect(await codeOf(refused)).toBe('APPEND_LANE_BUSY');
    const busy = (await refused.catch((e: AppendLaneBusy) => e)) as AppendLaneBusy;
    expect(busy.status).toBe(503);
    expect(busy.retryAfterSeconds).toBe(1);
    // Another lane is not affected by 440000's slots.
    const other = await a.acquire('330000');
    await other();
    // A waiter gets the slot a holder gives back.
    const waiter = new LaneLeases(db.client, db.tableName, { perLane: 2, waitMs: 2_000 }).acquire('440000');
    await new Promise((r) => setTimeout(r, 50));
    await r1();
    const r3 = await waiter;
    await Promise.all([r2(), r3(), r1()]); // releasing twice is harmless
    const left = await Promise.all(
      [0, 1].map((slot) =>
        documentClient(db.client).send(
          new GetCommand({ TableName: db.tableName, Key: laneSlotKey('440000', slot), ConsistentRead: true }),
        ),
      ),
    );
    expect(left.map((g) => g.Item)).toEqual([undefined, undefined]);
  });

  it('a lease left by a crashed instance runs out at its deadline and frees the lane', async () => {
    let t = Date.now();
    const crashed = new LaneLeases(db.client, db.tableName, { perLane: 1, waitMs: 0, nowMs: () => t });
    // The crashed invocation had 5 s left: its lease ends then, never released.
    await runInvocation(lambdaContext({ getRemainingTimeInMillis: () => 5_000 }), () =>
      crashed.acquire('350000'),
    );
    const next = new LaneLeases(db.client, db.tableName, { perLane: 1, waitMs: 0, nowMs: () => t });
    expect(await codeOf(next.acquire('350000'))).toBe('APPEND_LANE_BUSY');
    t += 5_001;
    const release = await next.acquire('350000');
    await release();
  });

  it('a lease left behind is counted as an append-lease in the sunset deletion report', async () => {
    const leases = new LaneLeases(db.client, db.tableName, { perLane: 1, waitMs: 0 });
    await leases.acquire('810000'); // never released, as if the instance crashed
    const counts = await new DynamoExchangeRepository(db.client, db.tableName).countOperationalData();
    expect(counts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'append-lease' })]));
    expect(counts.map((c) => c.kind)).not.toContain('other');
  });

  it('shares the one document client of its DynamoDB client, so the repositories keep their options', async () => {
    // lib-dynamodb keeps translation options in the client's shared config: a second document
    // client made with other options would switch removeUndefinedValues off for the repositories.
    const repositories = documentClient(db.client); // made first, as createExchangeDeps does
    new LaneLeases(db.client, db.tableName);
    new CallerLimit(db.client, db.tableName, async () => Buffer.alloc(32));
    await expect(
      repositories.send(
        new PutCommand({
          TableName: db.tableName,
          Item: { pk: 'OPTIONS', sk: 'CHECK', nested: { absent: undefined } },
        }),
      ),
    ).resolves.toBeDefined();
  });
});
