/**
 * `POST /v1/provinces/{region}/suspend` (operator) through its real handler over dynalite: the log
 * entry, the province's signed requests refused afterwards, idempotence, and the refusals.
 */
import { dynaliteTables, type DynaliteTables } from '../kit';
import {
  DAY,
  FJ,
  GD,
  nonce,
  NOW,
  publishOp,
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

const codeRevocation = (signer: TestKey, region: string) =>
  signed(signer.signer, region, { op: 'code.revoke', codes: [{ jti: nonce(), exp: NOW + DAY }] });

describe('POST /v1/provinces/{region}/suspend', () => {
  it('suspends a province: 200, a province.suspended entry in the log, suspended in the list of provinces', async () => {
    // act
    const res = await ex.suspend(GD);

    // assert
    const entries = (await ex.log()).json().entries as { seq: number; type: string; region: string }[];
    const last = entries.at(-1)!;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ region: GD, status: 'suspended', version: last.seq });
    expect([last.type, last.region]).toEqual(['province.suspended', GD]);
    const provinces = (await ex.provinces()).json().provinces as { region: string; status: string }[];
    expect(provinces.map((p) => [p.region, p.status])).toEqual([
      [ZJ, 'active'],
      [GD, 'suspended'],
    ]);
  });

  it("refuses the suspended province's signed requests with 401, and no one else's", async () => {
    // prepare
    const key = await testKey();

    // act
    const publish = await ex.publish(GD, await signed(gd.signer, GD, publishOp(key)));
    const revoke = await ex.revokeCodes(GD, await codeRevocation(gd, GD));
    const other = await ex.revokeCodes(ZJ, await codeRevocation(zj, ZJ));

    // assert
    expect([publish.statusCode, publish.json().code]).toEqual([401, 'UNAUTHORIZED']);
    expect([revoke.statusCode, revoke.json().code]).toEqual([401, 'UNAUTHORIZED']);
    expect(other.statusCode).toBe(200);
  });

  it('answers a repeated suspension 200 without a new log entry', async () => {
    // prepare
    const before = (await ex.log()).json().entries.length as number;

    // act
    const res = await ex.suspend(GD);

    // assert
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ region: GD, status: 'suspended', version: before });
    expect((await ex.log()).json().entries).toHaveLength(before);
  });

  it('answers 404 for a province that is not registered and 400 for a malformed region', async () => {
    // act
    const unknown = await ex.suspend(FJ);
    const malformed = await ex.suspend('33000');

    // assert
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
    expect([malformed.statusCode, malformed.json().code]).toEqual([400, 'REQUEST_INVALID']);
  });
});
