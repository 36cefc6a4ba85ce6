/**
 * The DynamoDB adapter shared by both services: the one client a Lambda process uses
 * ({@link dynamoClient}), the one document client over a client ({@link documentClient}: every
 * repository reads and writes plain objects through it), and table creation from the shared definitions (`core/storage/tables.ts`)
 * for the embedded runtime and the tests against dynalite, so their tables match the CDK stacks'
 * exactly. The repositories (`exchange/dynamo-repository.ts`, `province/dynamo-repository.ts`) take
 * a client, so the embedded runtime passes its own (pointed at dynalite).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keyAttributes, type KeyAttribute, type TableDefinition } from '../core/storage/tables';

let client: DynamoDBClient | undefined;

/** The process's DynamoDB client (Lambda: region and credentials from the environment), made once. */
export function dynamoClient(): DynamoDBClient {
  client ??= new DynamoDBClient({});
  return client;
}

const documentClients = new WeakMap<DynamoDBClient, DynamoDBDocumentClient>();

/**
 * The document client over `client` (lib-dynamodb: plain JavaScript values in and out), one per
 * client. One because lib-dynamodb keeps its translation options in the client's shared config, so
 * two document clients over one client with different options would overwrite each other's; and
 * the fault tests reach the very instance a repository uses by calling this with the same client.
 *
 * Options: attributes left `undefined` are not written. No digit is ever lost: writing a number
 * beyond 2^53 throws (lib-dynamodb's default), and reading one gives a `bigint` (every number
 * stored today is a count, a sequence number or NumericDate seconds, far below). `Uint8Array`s
 * are binary (`B`) attributes and come back as `Uint8Array`s.
 */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  let doc = documentClients.get(client);
  if (!doc) {
    doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    documentClients.set(client, doc);
  }
  return doc;
}

/** Whether `e` is DynamoDB's refusal of a write's condition (`ConditionalCheckFailedException`). */
export function isConditionFailed(e: unknown): boolean {
  return (e as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

function keySchema(partitionKey: KeyAttribute, sortKey?: KeyAttribute): KeySchemaElement[] {
  const schema: KeySchemaElement[] = [{ AttributeName: partitionKey.name, KeyType: 'HASH' }];
  if (sortKey) schema.push({ AttributeName: sortKey.name, KeyType: 'RANGE' });
  return schema;
}

/** Options of {@link createTable}. */
export interface CreateTableOptions {
  /** Give up waiting for ACTIVE after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
}

/**
 * Create table `name` shaped by `def` (on-demand billing), wait until it is ACTIVE, and enable TTL
 * on `def.ttlAttribute` where the engine supports it (dynalite does not: the embedded runtime
 * sweeps expired items itself).
 */
export async function createTable(
  client: DynamoDBClient,
  def: TableDefinition,
  name: string,
  options: CreateTableOptions = {},
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keyAttributes(def).map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
      KeySchema: keySchema(def.partitionKey, def.sortKey),
      GlobalSecondaryIndexes:
        def.globalSecondaryIndexes.length === 0
          ? undefined
          : def.globalSecondaryIndexes.map((i) => ({
              IndexName: i.indexName,
              KeySchema: keySchema(i.partitionKey, i.sortKey),
              Projection: { ProjectionType: 'ALL' },
            })),
    }),
  );
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (Date.now() > deadline) throw new Error('createTable: table did not become ACTIVE in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (def.ttlAttribute !== undefined) {
    try {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
        }),
      );
    } catch (e) {
      if (!isUnsupportedOperation(e)) throw e;
    }
  }
}

function isUnsupportedOperation(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'UnknownOperationException';
}
