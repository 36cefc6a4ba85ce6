import { DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EXCHANGE_TABLE, PROVINCE_TABLE } from '../../functions/core/storage/tables';
import { apiEvent, dynaliteTables, lambdaContext, type DynaliteTables } from '../kit';

describe('apiEvent', () => {
  it('builds a payload 2.0 event with the route key, raw path and lower-cased headers, as the runtime does', () => {
    const event = apiEvent({
      method: 'post',
      path: '/v1/provinces/{region}/keys',
      pathParameters: { region: '330000' },
      queryStringParameters: { since: '3' },
      headers: { 'Content-Type': 'application/jose' },
      body: 'a.b.c',
    });
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/provinces/{region}/keys',
      rawPath: '/v1/provinces/330000/keys',
      rawQueryString: 'since=3',
      headers: { 'content-type': 'application/jose' },
      pathParameters: { region: '330000' },
      // application/jose is not a text type: API Gateway (and the embedded runtime) pass it base64-encoded
      body: Buffer.from('a.b.c').toString('base64'),
      isBase64Encoded: true,
      requestContext: { http: { method: 'POST', path: '/v1/provinces/330000/keys' }, stage: '$default' },
    });
  });

  it('encodes an object body as JSON with a JSON content type', () => {
    const event = apiEvent({ method: 'POST', path: '/v1/codes/verify', body: { code: 'HCX1:x' } });
    expect(event.body).toBe('{"code":"HCX1:x"}');
    expect(event.headers['content-type']).toBe('application/json');
  });
});

describe('lambdaContext', () => {
  it('gives a context with a function name, request id and remaining time', () => {
    const context = lambdaContext({ functionName: 'hcx-issue' });
    expect(context.functionName).toBe('hcx-issue');
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });
});

describe('dynaliteTables', () => {
  let db: DynaliteTables;
  beforeAll(async () => {
    db = await dynaliteTables([EXCHANGE_TABLE, PROVINCE_TABLE]);
  });
  afterAll(async () => {
    await db.close();
  });

  it('creates each table with the shared definition key schema', async () => {
    const { Table } = await db.client.send(
      new DescribeTableCommand({ TableName: db.tableNames.ProvinceTable }),
    );
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });

  it('serves reads and conditional writes over the DynamoDB wire protocol', async () => {
    const item = { pk: { S: 'PROVINCE#330000' }, sk: { S: 'META' } };
    await db.client.send(
      new PutItemCommand({
        TableName: db.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await expect(
      db.client.send(
        new PutItemCommand({
          TableName: db.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    const { Item } = await db.client.send(
      new GetItemCommand({ TableName: db.tableName, Key: item, ConsistentRead: true }),
    );
    expect(Item).toEqual(item);
  });

  it('gives each call its own table names', async () => {
    const other = await dynaliteTables();
    try {
      expect(other.tableName).not.toBe(db.tableName);
      expect(other.tableName).toMatch(/^ExchangeTable-/);
    } finally {
      await other.close();
    }
  });
});
