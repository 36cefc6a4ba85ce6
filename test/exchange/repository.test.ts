/**
 * The exchange repository and its concurrency rules on both local engines (dynalite and AWS's
 * DynamoDB Local): conditional log appends, projections that never move backwards, nonces, and
 * 50 concurrent publications of one key ending with one winner and an unforked log.
 */
import type { LogEntry } from '../../functions/core/schemas/types.gen';
import { makeEntry, verifyChain, type LogEntryInput } from '../../functions/core/trustlist/log';
import { DynamoExchangeRepository } from '../../functions/exchange/dynamo-repository';
import { catchUp } from '../../functions/exchange/service';
import type { DynaliteTables } from '../kit';
import { ENGINES } from './engines';
import {
  codeRevokedInput,
  DAY,
  GD,
  NOW,
  publishedInput,
  publishOp,
  registeredInput,
  revokedInput,
  signed,
  testExchange,
  testKey,
  ZJ,
} from './fixtures';

// Items carry a DynamoDB TTL, and DynamoDB Local (unlike dynalite) does expire them by the wall
// clock: expiries written here are relative to the real time, not to the fixtures' NOW.
const WALL = Math.floor(Date.now() / 1000);

describe.each(ENGINES)('the exchange repository on %s', (_engine, start) => {
  let db: DynaliteTables;
  let repo: DynamoExchangeRepository;
  let entries: LogEntry[];
  let kid: string;

  beforeAll(async () => {
    db = await start();
    repo = new DynamoExchangeRepository(db.client, db.tableName);
    const enroll = await testKey();
    const signing = await testKey();
    kid = signing.kid;
    const inputs = [
      registeredInput(enroll),
      await publishedInput(enroll, signing, { notAfter: NOW + DAY }),
      await revokedInput(enroll, kid),
      // exp by the real clock: DynamoDB Local deletes items whose TTL has passed
      await codeRevokedInput(enroll, 'AAAAAAAAAAAAAAAAAAAAAA', { exp: Math.floor(Date.now() / 1000) + DAY }),
      { at: NOW, type: 'province.suspended', region: ZJ, data: {} },
    ];
    entries = [];
    for (const input of inputs)
      entries.push(makeEntry(entries.at(-1), { ...input, seq: entries.length + 1 } as LogEntryInput));
  }, 90_000);
  afterAll(() => db?.close());

  it('appends each seq once and reads the log back in order, exactly as written', async () => {
    for (const e of entries) expect(await repo.appendEntry(e)).toBe(true);
    expect(await repo.appendEntry({ ...entries[2], at: NOW + 1 })).toBe(false);
    expect(await repo.lastEntry()).toEqual(entries[4]);
    expect(await repo.readLog(0, 100)).toEqual(entries);
    expect(await repo.readLog(3, 1)).toEqual([entries[3]]);
    expect(verifyChain(undefined, await repo.readLog(0, 100)).seq).toBe(5);
  });

  it('projects the log through the head, idempotently, and never backwards', async () => {
    expect(await repo.projectedThrough()).toBe(0);
    expect(await catchUp(repo)).toEqual(entries[4]);
    expect(await repo.projectedThrough()).toBe(5);
    await repo.project(entries.slice(0, 2)); // a slow writer re-projecting the publication
    expect(await repo.getKey(ZJ, kid)).toMatchObject({
      status: 'revoked',
      reason: 'retired',
      revokedAt: NOW,
    });
    expect(await repo.getProvince(ZJ)).toMatchObject({ region: ZJ, status: 'suspended' });
    expect(await repo.projectedThrough()).toBe(5);
    expect((await repo.listProvinces()).map((p) => p.region)).toEqual([ZJ]);
    expect(await repo.kidOwner(kid)).toEqual({ kid, region: ZJ, use: 'signing' });
    expect(await repo.listKeys(ZJ)).toHaveLength(1);
    expect(await repo.isCodeRevoked(ZJ, 'AAAAAAAAAAAAAAAAAAAAAA')).toBe(true);
    expect(await repo.isCodeRevoked(GD, 'AAAAAAAAAAAAAAAAAAAAAA')).toBe(false);
  });

  it('consumes a nonce once', async () => {
    expect(await repo.consumeNonce('n'.repeat(22), WALL + 600)).toBe(true);
    expect(await repo.consumeNonce('n'.repeat(22), WALL + 600)).toBe(false);
  });
});

describe.each(ENGINES)('50 concurrent publications of one key on %s', (_engine, start) => {
  let db: DynaliteTables;
  beforeAll(async () => {
    db = await start();
  }, 90_000);
  afterAll(() => db?.close());

  it('end with exactly one 201, 409 KEY_ALREADY_KNOWN for the rest, and an unforked, gapless log', async () => {
    // The race itself: every writer at the head at once, so the province's lane is opened wide (by
    // default a province has 2 appends in flight and the rest wait: test/exchange/lane-leases.test.ts).
    const ex = await testExchange(db.client, db.tableName, undefined, { laneLeases: { perLane: 50 } });
    const enroll = await testKey();
    expect((await ex.register(ZJ, '浙江省', enroll.publicJwk)).statusCode).toBe(201);
    const key = await testKey();
    const requests = await Promise.all(
      Array.from({ length: 50 }, () => signed(enroll.signer, ZJ, publishOp(key))),
    );
    const answers = await Promise.all(requests.map((jws) => ex.publish(ZJ, jws)));
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode === 409).map((a) => a.json().code)).toEqual(
      Array(49).fill('KEY_ALREADY_KNOWN'),
    );
    const log = await new DynamoExchangeRepository(db.client, db.tableName).readLog(0, 1000);
    expect(log.map((e) => e.type)).toEqual(['province.registered', 'key.published']);
    expect(verifyChain(undefined, log).seq).toBe(2);
  }, 60_000);
});
