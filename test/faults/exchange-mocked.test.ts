/**
 * Faults dynalite cannot produce, injected with aws-sdk-client-mock on the document client the
 * exchange's repository uses (`documentClient(faulty)`, one per client), whose other calls go
 * through to dynalite (every command the exchange sends, the lane leases' included): throttling answers a retryable 503 with nothing half-written, and a failure
 * between the log append and the projection is repaired by the next request.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type PutCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { documentClient } from '../../functions/aws/dynamodb';
import { verifyChain } from '../../functions/core/trustlist/log';
import { DynamoExchangeRepository } from '../../functions/exchange/dynamo-repository';
import { dynaliteTables, localDynamoClient, type DynaliteTables } from '../kit';
import { publishOp, signed, testExchange, testKey, ZJ, type TestKey } from '../exchange/fixtures';

let db: DynaliteTables;
let real: DynamoDBClient;
let faulty: DynamoDBClient;
let realDoc: DynamoDBDocumentClient;
let mock: ReturnType<typeof mockClient>;
let ex: Awaited<ReturnType<typeof testExchange>>;
let zj: TestKey;

const throttling = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
const isLogPut = (input: PutCommandInput) => input.Item?.pk === 'LOG';
const isKeyPut = (input: PutCommandInput) => String(input.Item?.pk).startsWith('KEY#');

function passThrough(): void {
  mock.reset();
  mock.on(GetCommand).callsFake((input) => realDoc.send(new GetCommand(input)));
  mock.on(QueryCommand).callsFake((input) => realDoc.send(new QueryCommand(input)));
  mock.on(UpdateCommand).callsFake((input) => realDoc.send(new UpdateCommand(input)));
  mock.on(PutCommand).callsFake((input) => realDoc.send(new PutCommand(input)));
  mock.on(DeleteCommand).callsFake((input) => realDoc.send(new DeleteCommand(input)));
  mock.on(ScanCommand).callsFake((input) => realDoc.send(new ScanCommand(input)));
}

beforeAll(async () => {
  db = await dynaliteTables();
  real = db.client;
  realDoc = documentClient(real);
  faulty = localDynamoClient(db.endpoint);
  mock = mockClient(documentClient(faulty));
  passThrough();
  ex = await testExchange(faulty, db.tableName);
  zj = await testKey();
  expect((await ex.register(ZJ, '浙江省', zj.publicJwk)).statusCode).toBe(201);
});
afterEach(passThrough);
afterAll(async () => {
  mock.restore();
  faulty.destroy();
  await db.close();
});

const log = () => new DynamoExchangeRepository(real, db.tableName).readLog(0, 1000);

describe('DynamoDB faults', () => {
  it('answers a throttled log append with a retryable 503 and leaves the log and projections untouched', async () => {
    const before = await log();
    mock.on(PutCommand).callsFake((input: PutCommandInput) => {
      if (isLogPut(input)) throw throttling();
      return realDoc.send(new PutCommand(input));
    });
    const key = await testKey();
    const res = await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(key)));
    expect([res.statusCode, res.json().code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    expect(res.headers['retry-after']).toBeDefined();
    expect(await log()).toEqual(before);
    expect(await new DynamoExchangeRepository(real, db.tableName).kidOwner(key.kid)).toBeUndefined();
    passThrough();
    const retried = await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(key)));
    expect(retried.statusCode).toBe(201);
  });

  it('answers a throttled read with a retryable 503', async () => {
    mock.on(QueryCommand).rejects(throttling());
    const res = await ex.trustList();
    expect([res.statusCode, res.json().code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
  });

  it('repairs the projection of an entry whose writer failed right after the append', async () => {
    mock.on(PutCommand).callsFake((input: PutCommandInput) => {
      if (isKeyPut(input)) throw throttling();
      return realDoc.send(new PutCommand(input));
    });
    const key = await testKey();
    const res = await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(key)));
    expect(res.statusCode).toBe(201); // in the ledger: the publication happened
    const repo = new DynamoExchangeRepository(real, db.tableName);
    expect(await repo.getKey(ZJ, key.kid)).toBeUndefined();
    passThrough();
    const jwks = await ex.jwks(ZJ);
    expect(jwks.json().keys.map((k: { kid: string }) => k.kid)).toContain(key.kid);
    expect(await repo.getKey(ZJ, key.kid)).toMatchObject({ status: 'active' });
    expect(verifyChain(undefined, await log()).seq).toBe((await log()).length);
  });

  it('sends the log append as a conditional put on a new seq', async () => {
    const key = await testKey();
    await ex.publish(ZJ, await signed(zj.signer, ZJ, publishOp(key)));
    const appends = mock.commandCalls(PutCommand).filter((c) => isLogPut(c.args[0].input as PutCommandInput));
    expect(appends.at(-1)?.args[0].input).toMatchObject({
      TableName: db.tableName,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: 'LOG', sk: expect.stringMatching(/^[0-9]{12}$/) },
    });
  });
});
