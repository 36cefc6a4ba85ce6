import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { startEngine, type Engine } from '../../functions/embedded/engine';
import { EXCHANGE_TABLE, PROVINCE_TABLE } from '../../functions/core/storage/tables';

const TABLE = 'hcx-province-330000';
const tables = [{ name: TABLE, def: PROVINCE_TABLE }];
const engines: Engine[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function engine(options: Parameters<typeof startEngine>[0] = { memory: true }): Promise<Engine> {
  const e = await startEngine(options);
  engines.push(e);
  return e;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hcx-engine-'));
  dirs.push(d);
  return d;
}

const put = (e: Engine, sk: string, ttl?: number) =>
  e.client.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: { pk: { S: 'code' }, sk: { S: sk }, ...(ttl === undefined ? {} : { ttl: { N: String(ttl) } }) },
    }),
  );

const sortKeys = async (e: Engine) =>
  ((await e.client.send(new ScanCommand({ TableName: TABLE }))).Items ?? []).map((i) => i.sk.S).sort();

describe('embedded engine', () => {
  it('creates tables from the shared definitions, on demand, keyed as the CDK stacks key them', async () => {
    const e = await engine();

    await e.ensureTable(EXCHANGE_TABLE, 'hcx-exchange');
    const { Table } = await e.client.send(new DescribeTableCommand({ TableName: 'hcx-exchange' }));

    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('keeps an existing table and its items when asked to create it again', async () => {
    const e = await engine();
    await e.ensureTable(PROVINCE_TABLE, TABLE);
    await put(e, 'kept');

    await e.ensureTable(PROVINCE_TABLE, TABLE);

    expect(await sortKeys(e)).toEqual(['kept']);
  });

  it('reuses the data on disk on a second start', async () => {
    const dataDir = tempDir();
    const first = await startEngine({ dataDir });
    await first.ensureTable(PROVINCE_TABLE, TABLE);
    await put(first, 'persisted');
    await first.close();

    const second = await engine({ dataDir });
    await second.ensureTable(PROVINCE_TABLE, TABLE);
    const item = await second.client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'code' }, sk: { S: 'persisted' } } }),
    );

    expect(item.Item?.sk.S).toBe('persisted');
  });

  it('refuses a data folder another engine holds with DATA_DIR_LOCKED', async () => {
    const dataDir = tempDir();
    await engine({ dataDir });

    await expect(startEngine({ dataDir })).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'hcx.lock'), '2147483646');

    const e = await engine({ dataDir });

    expect(e.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a data folder it cannot create with DATA_DIR_UNWRITABLE', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');

    await expect(startEngine({ dataDir: join(file, 'dynamodb') })).rejects.toMatchObject({
      code: 'DATA_DIR_UNWRITABLE',
    });
  });
});

describe('embedded engine: TTL sweeper', () => {
  it('deletes items whose ttl is past and keeps current ones and those without ttl', async () => {
    const e = await engine();
    await e.ensureTable(PROVINCE_TABLE, TABLE);
    const now = 1_800_000_000;
    await put(e, 'expired', now - 1);
    await put(e, 'current', now + 60);
    await put(e, 'forever');

    const deleted = await e.sweepOnce(tables, now);

    expect(deleted).toBe(1);
    expect(await sortKeys(e)).toEqual(['current', 'forever']);
  });

  it('pages through a table larger than one scan page', async () => {
    const e = await engine();
    await e.ensureTable(PROVINCE_TABLE, TABLE);
    const big = 'x'.repeat(100_000); // ~100 KB items: a 1 MB scan page holds only a few
    for (let i = 0; i < 15; i++) {
      await e.client.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { pk: { S: 'code' }, sk: { S: `i${i}` }, ttl: { N: '1' }, pad: { S: big } },
        }),
      );
    }

    const deleted = await e.sweepOnce(tables, 2);

    expect(deleted).toBe(15);
    expect(await sortKeys(e)).toEqual([]);
  });

  it('sweeps on its own once started', async () => {
    const e = await engine();
    await e.ensureTable(PROVINCE_TABLE, TABLE);
    await put(e, 'expired', Math.floor(Date.now() / 1000) - 10);

    e.startSweeper(tables, 0.05);
    const deadline = Date.now() + 5000;
    while ((await sortKeys(e)).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 25));

    expect(await sortKeys(e)).toEqual([]);
  });
});

describe('the engine endpoint is no open door on a shared machine', () => {
  it('answers 403 UnrecognizedClientException to any client without its random access key id', async () => {
    const e = await engine();
    await e.ensureTable(PROVINCE_TABLE, TABLE);
    // Another local user: the right endpoint and protocol, guessed or default credentials.
    for (const accessKeyId of ['local', 'AKIAIOSFODNN7EXAMPLE', `${e.credentials.accessKeyId}x`]) {
      const other = new DynamoDBClient({
        endpoint: e.endpoint,
        region: 'local',
        credentials: { accessKeyId, secretAccessKey: 'local' },
        maxAttempts: 1,
      });
      await expect(
        other.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'x' }, sk: { S: 'y' } } })),
      ).rejects.toMatchObject({ name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 403 } });
      other.destroy();
    }
    // No signature at all.
    const raw = await fetch(e.endpoint, {
      method: 'POST',
      headers: {
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        'content-type': 'application/x-amz-json-1.0',
      },
      body: '{}',
    });
    expect(raw.status).toBe(403);
    // The engine's own client still works, and nothing was written by the others.
    const out = await e.client.send(new ScanCommand({ TableName: TABLE }));
    expect(out.Items).toEqual([]);
  });

  it('draws a new access key id at every start (it is in no file)', async () => {
    const [a, b] = [await engine(), await engine()];
    expect(a.credentials.accessKeyId).not.toBe(b.credentials.accessKeyId);
    expect(a.credentials.accessKeyId).toMatch(/^HCX[0-9a-f]{48}$/);
  });
});
