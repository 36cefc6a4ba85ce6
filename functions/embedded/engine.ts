/**
 * The embedded DynamoDB engine: dynalite in this process, on disk (LevelDB under a data folder) or
 * in memory, reached over the real DynamoDB wire protocol on 127.0.0.1 so that the repositories run
 * exactly the commands they send in AWS.
 *
 * dynalite has no TTL expiry, so the engine also runs a sweeper that deletes items whose `ttl`
 * (epoch seconds) is past, each with a conditional delete so that an item rewritten with a later
 * expiry between the scan and the delete survives.
 *
 * The endpoint listens on 127.0.0.1, which every local user of the machine can reach. dynalite
 * checks no credentials, so the engine checks one itself: every request must be signed with an
 * access key id drawn at random when the engine starts and known only to this process (it is in no
 * file and no log). Anything else is answered 403 `UnrecognizedClientException` before dynalite
 * sees it, so another local user cannot read or write the federation's tables (a log entry appended
 * behind the exchange's back, for one). docs/embedded.md, "What local access gives".
 */
import {
  accessSync,
  constants as fsConstants,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeleteItemCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { createTable } from '../aws/dynamodb';
import type { TableDefinition } from '../core/storage/tables';

/** How to start the engine. */
export interface EngineOptions {
  /** Folder for the LevelDB files; ignored when `memory` is true. */
  readonly dataDir?: string;
  /** Keep everything in memory (throwaway runs, tests). */
  readonly memory?: boolean;
  /** Port for the engine's endpoint; 0 (default) picks a free one. */
  readonly port?: number;
}

/** A table the engine serves, with the definition it was created from. */
export interface EngineTable {
  readonly name: string;
  readonly def: TableDefinition;
}

/** A running engine. */
export interface Engine {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** A client bound to the engine (region `local`, the engine's own credentials). */
  readonly client: DynamoDBClient;
  /** The only credentials the engine accepts (random per start; never written anywhere). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Create `name` from `def` unless it exists already (a second start reuses the data). */
  ensureTable(def: TableDefinition, name: string): Promise<void>;
  /** Delete every expired item of `tables` once; returns how many were deleted. */
  sweepOnce(tables: readonly EngineTable[], nowSeconds?: number): Promise<number>;
  /** Sweep `tables` every `everySeconds` until `close()`. */
  startSweeper(tables: readonly EngineTable[], everySeconds: number, onError?: (e: unknown) => void): void;
  /**
   * Stop the sweeper, the client and the engine, then compact the on-disk store so that no deleted
   * item's old value stays in the data folder.
   */
  close(): Promise<void>;
}

/** A start-up problem the CLI can explain without a stack trace. */
export class EngineStartFailed extends Error {
  constructor(
    readonly code: 'DATA_DIR_UNWRITABLE' | 'DATA_DIR_LOCKED' | 'ENGINE_START_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineStartFailed';
  }
}

interface DynaliteOptions {
  path?: string;
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}
// dynalite ships no types; it returns a node:http server whose close() also closes the store.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: DynaliteOptions) => Server;

/**
 * Compact the LevelDB store at `path` (closed by its server first): LevelDB keeps a deleted item's
 * old value in its log and table files until a compaction rewrites them, and a store still serving
 * may pin old values with open iterators. Opened afresh, a full compaction drops every deleted
 * value, so an erasure (a sunset) leaves nothing in the data folder.
 */
async function compactStore(path: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Level } = require('level') as {
    Level: new (p: string) => {
      open(): Promise<void>;
      compactRange(start: string, end: string): Promise<void>;
      close(): Promise<void>;
    };
  };
  const db = new Level(path);
  await db.open();
  try {
    // the whole key space: dynalite's keys are table-prefixed ASCII
    await db.compactRange('', '\uffff');
  } finally {
    await db.close();
  }
}

/** Start dynalite and return a client bound to it. */
export async function startEngine(options: EngineOptions = {}): Promise<Engine> {
  const path = options.memory ? undefined : options.dataDir;
  if (!options.memory && !path) throw new EngineStartFailed('ENGINE_START_FAILED', 'no data folder given');
  const releaseLock = path ? lockDataDir(path) : () => undefined;

  const credentials = { accessKeyId: `HCX${randomBytes(24).toString('hex')}`, secretAccessKey: 'local' };
  let server: Server;
  try {
    server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    guard(server, credentials.accessKeyId);
    await listen(server, options.port ?? 0);
  } catch (e) {
    releaseLock();
    throw new EngineStartFailed('ENGINE_START_FAILED', 'the embedded DynamoDB engine did not start', {
      cause: e,
    });
  }

  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    region: 'local',
    endpoint,
    credentials,
    maxAttempts: 3,
  });

  let sweeper: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> | undefined;
  let closed = false;

  const engine: Engine = {
    endpoint,
    client,
    credentials,
    ensureTable: (def, name) => ensureTable(client, def, name),
    sweepOnce: (tables, nowSeconds) => sweep(client, tables, nowSeconds ?? Math.floor(Date.now() / 1000)),
    startSweeper(tables, everySeconds, onError) {
      if (sweeper) clearInterval(sweeper);
      sweeper = setInterval(() => {
        if (sweeping || closed) return; // never two sweeps at once
        sweeping = engine
          .sweepOnce(tables)
          .catch((e: unknown) => onError?.(e))
          .finally(() => (sweeping = undefined));
      }, everySeconds * 1000);
      sweeper.unref();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (sweeper) clearInterval(sweeper);
      await sweeping;
      client.destroy();
      try {
        await closeServer(server);
        if (path) await compactStore(path);
      } finally {
        releaseLock();
      }
    },
  };
  return engine;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The access key id of a SigV4 `Authorization` header (`... Credential=<id>/<date>/...`). */
export function credentialOf(authorization: string | undefined): string | undefined {
  return /\bCredential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

/** Put a check of the access key id in front of dynalite's request handler. */
function guard(server: Server, accessKeyId: string): void {
  const expected = Buffer.from(accessKeyId);
  const inner = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const given = Buffer.from(credentialOf(req.headers.authorization) ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      const body = JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      });
      req.resume();
      res.writeHead(403, { 'content-type': 'application/x-amz-json-1.0', 'content-length': body.length });
      res.end(body);
      return;
    }
    for (const listener of inner) listener.call(server, req, res);
  });
}

/** Create a table from its shared definition; an existing one is kept with its data. */
async function ensureTable(client: DynamoDBClient, def: TableDefinition, name: string): Promise<void> {
  try {
    await createTable(client, def, name);
  } catch (e) {
    if (errorName(e) !== 'ResourceInUseException') throw e;
  }
}

/** Scan each table for expired items and delete them, each only if it is still expired. */
async function sweep(client: DynamoDBClient, tables: readonly EngineTable[], now: number): Promise<number> {
  let deleted = 0;
  for (const { name, def } of tables) {
    const ttl = def.ttlAttribute;
    if (!ttl) continue;
    const keyNames = [def.partitionKey.name, ...(def.sortKey ? [def.sortKey.name] : [])];
    const names: Record<string, string> = { '#ttl': ttl };
    keyNames.forEach((k, i) => (names[`#k${i}`] = k));
    const values = { ':now': { N: String(now) } };
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: name,
          FilterExpression: '#ttl < :now',
          ProjectionExpression: keyNames.map((_, i) => `#k${i}`).join(', '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      for (const key of page.Items ?? []) {
        try {
          await client.send(
            new DeleteItemCommand({
              TableName: name,
              Key: key,
              ConditionExpression: '#ttl < :now',
              ExpressionAttributeNames: { '#ttl': ttl },
              ExpressionAttributeValues: values,
            }),
          );
          deleted++;
        } catch (e) {
          // rewritten with a later expiry since the scan: keep it
          if (errorName(e) !== 'ConditionalCheckFailedException') throw e;
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return deleted;
}

/**
 * Make the data folder and take an exclusive lock on it. LevelDB refuses a second opener, but
 * dynalite reports that from inside a request callback where nobody can catch it, so hcx takes
 * its own lock first (a pid file; a lock left by a process that no longer runs is taken over).
 * Returns the function that releases it.
 */
function lockDataDir(path: string): () => void {
  const lockFile = join(path, 'hcx.lock');
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    accessSync(path, fsConstants.W_OK | fsConstants.R_OK);
  } catch (e) {
    throw new EngineStartFailed('DATA_DIR_UNWRITABLE', `cannot write to the data folder ${path}`, {
      cause: e,
    });
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => rmSync(lockFile, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new EngineStartFailed('DATA_DIR_UNWRITABLE', `cannot write to the data folder ${path}`, {
          cause: e,
        });
      }
      const holder = Number(readFileSync(lockFile, 'utf8'));
      if (holder && holder !== process.pid && isRunning(holder)) break;
      if (holder === process.pid) break;
      rmSync(lockFile, { force: true }); // stale: its process is gone
    }
  }
  throw new EngineStartFailed(
    'DATA_DIR_LOCKED',
    `the data folder ${path} is in use by another hcx process (stop it, or use --data or --memory)`,
  );
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
}

function errorName(e: unknown): string | undefined {
  return (e as { name?: string } | undefined)?.name;
}
