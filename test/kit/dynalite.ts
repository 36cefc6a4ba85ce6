/** An in-memory dynalite (DynamoDB wire protocol) in this process, with hcx's tables created in it. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../functions/aws/dynamodb';
import { EXCHANGE_TABLE, PROVINCE_TABLE, type TableDefinition } from '../../functions/core/storage/tables';

// dynalite ships no types: it is a factory returning a node http.Server.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

/** A running dynalite with one or more tables. */
export interface DynaliteTables {
  /** A client pointed at it (region `local`, dummy credentials). */
  readonly client: DynamoDBClient;
  /** Name of the first table requested (the common case: one table per test file). */
  readonly tableName: string;
  /** Table names by definition id (`ExchangeTable`, `ProvinceTable`). */
  readonly tableNames: Readonly<Record<string, string>>;
  /** `http://127.0.0.1:<port>`, for a second client. */
  readonly endpoint: string;
  /** Destroy the client and stop the server. */
  close(): Promise<void>;
}

let counter = 0;

/** A DynamoDB client for a local endpoint (region `local`, dummy credentials, no retries). */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/**
 * Start dynalite in memory on a random port and create each table in `defs` (default: the
 * exchange table) under a unique name.
 */
export async function dynaliteTables(
  defs: readonly TableDefinition[] = [EXCHANGE_TABLE],
): Promise<DynaliteTables> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = localDynamoClient(endpoint);
  const tableNames: Record<string, string> = {};
  try {
    for (const def of defs) {
      const name = `${def.id}-${process.pid}-${++counter}`;
      await createTable(client, def, name);
      tableNames[def.id] = name;
    }
  } catch (e) {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
    throw e;
  }
  return {
    client,
    tableName: tableNames[defs[0].id],
    tableNames,
    endpoint,
    async close() {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export { EXCHANGE_TABLE, PROVINCE_TABLE };
