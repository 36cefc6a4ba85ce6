/**
 * The fault rig: a running federation (test/kit/federation.ts) with extra "Lambda instances" of the
 * exchange and of a province node built beside it on the same tables, whose DynamoDB traffic goes
 * through {@link faultyDynamo}, an HTTP proxy in front of the federation's dynalite that answers
 * chosen calls the way DynamoDB does when it throttles, or drops the connection. The SDK parses
 * those answers itself, so what the handlers see is exactly what they would see in AWS.
 *
 * Why a wire proxy rather than aws-sdk-client-mock here: both repositories send through the
 * lib-dynamodb document client made from the client they are given (`documentClient`), which a
 * mock of that client does not intercept; the proxy sees every call of every client, and "the write happened but the answer was
 * lost" (the ambiguous failure of a Lambda killed mid-call) can only be produced on the wire.
 */
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Jwks, LogEntry } from '../../functions/core/schemas/types.gen';
import { LocalKeySigner, type Signer } from '../../functions/core/signer';
import { createTable } from '../../functions/aws/dynamodb';
import { PROVINCE_TABLE } from '../../functions/core/storage/tables';
import { verifyChain } from '../../functions/core/trustlist/log';
import type { Federation } from '../../functions/embedded/federation';
import { provinceTableName } from '../../functions/embedded/federation';
import { createExchangeDeps } from '../../functions/exchange/deps';
import { createProvinceDeps, type ProvinceDeps } from '../../functions/province/deps';
import { createExchangeClient, type ExchangeClient } from '../../functions/province/exchange-client';
import { create as issueHandler } from '../../functions/province/handlers/issue';
import { create as registryHandler } from '../../functions/province/handlers/registry';
import { create as revokeCodeHandler } from '../../functions/province/handlers/revoke-code';
import { create as syncHandler } from '../../functions/province/handlers/sync';
import { create as verifyHandler } from '../../functions/province/handlers/verify';
import { call, exchangeRoutes, type Answer } from '../exchange/fixtures';

// ---------------------------------------------------------------------------------------------
// The report: one line per case, printed once the file is done.

/**
 * Collects one `case -> outcome` line per case and prints them in `afterAll`. A case is opened with
 * `start(label)` and closed with the function it returns; a case never closed (its test failed
 * before the end) is reported as FAILED.
 */
export function faultReport(title: string) {
  const lines: { label: string; outcome?: string }[] = [];
  return {
    start(label: string): (outcome: string) => void {
      const line: { label: string; outcome?: string } = { label };
      lines.push(line);
      return (outcome) => {
        line.outcome = outcome;
      };
    },
    print(): void {
      const width = Math.max(...lines.map((l) => l.label.length), 4);
      const body = lines.map(
        (l) => `  ${l.label.padEnd(width)}  ${l.outcome ?? 'FAILED (see the test output)'}`,
      );
      console.log([`fault report: ${title}`, ...body].join('\n'));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Clients.

/**
 * A network error in this realm. Jest runs a test file in its own VM context, so an `Error` thrown
 * by Node's own `net` module is not `instanceof Error` there; the SDK then wraps it in a fresh
 * Error and drops its `code` (ECONNREFUSED...), which never happens in Lambda or under tsx. This
 * re-creates the error as Node hands it to the SDK outside jest, so the handlers see what they
 * would see in production.
 */
function inThisRealm(e: unknown): unknown {
  if (e instanceof Error || typeof e !== 'object' || e === null) return e;
  const source = e as Record<string, unknown> & { message?: string };
  return Object.assign(new Error(source.message), { ...source, name: source.name ?? 'Error' });
}

class RealmBridge extends NodeHttpHandler {
  override async handle(...args: Parameters<NodeHttpHandler['handle']>) {
    try {
      return await super.handle(...args);
    } catch (e) {
      throw inThisRealm(e);
    }
  }
}

/** A DynamoDB client for a local endpoint: no retries (each fault is seen once), see {@link inThisRealm}. */
export function faultClient(
  endpoint: string,
  credentials = { accessKeyId: 'local', secretAccessKey: 'local' },
): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials,
    maxAttempts: 1,
    requestHandler: new RealmBridge(),
  });
}

// ---------------------------------------------------------------------------------------------
// A faulty DynamoDB: a proxy in front of dynalite.

/** What the proxy does with one call. */
export type Fault =
  /** Answer `ProvisionedThroughputExceededException` (HTTP 400), as DynamoDB does. */
  | 'throughput'
  /** Answer `ThrottlingException` (HTTP 400), as DynamoDB does for control-plane and burst limits. */
  | 'throttle'
  /** Drop the connection without forwarding: the call never reached DynamoDB. */
  | 'reset'
  /** Forward the call, then drop the connection: the write happened, the answer was lost. */
  | 'lost-answer';

/** One DynamoDB call as the proxy sees it: the operation (`PutItem`) and the JSON body. */
export interface Call {
  readonly op: string;
  readonly body: {
    TableName?: string;
    Item?: Record<string, AttributeValue>;
    Key?: Record<string, AttributeValue>;
    [k: string]: unknown;
  };
}

/** Decides the fault of one call (undefined: pass it through). */
export type FaultRule = (call: Call) => Fault | undefined;

const ERROR_TYPES: Record<'throughput' | 'throttle', string> = {
  throughput: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  throttle: 'com.amazon.coral.availability#ThrottlingException',
};

/** The partition key of the item a call writes or reads (`LOG`, `KEY#330000`, `CODE#…`). */
export const pkOf = (c: Call): string | undefined =>
  (c.body.Item?.pk?.S ?? c.body.Key?.pk?.S) as string | undefined;
export const skOf = (c: Call): string | undefined =>
  (c.body.Item?.sk?.S ?? c.body.Key?.sk?.S) as string | undefined;

/** A fault-injecting proxy in front of a DynamoDB endpoint. */
export interface FaultyDynamo {
  readonly endpoint: string;
  /** A client through the proxy (no SDK retries, so each fault is seen once). */
  readonly client: DynamoDBClient;
  /** Calls seen since the last {@link FaultyDynamo.set}, with the fault each got. */
  readonly calls: { op: string; pk?: string; sk?: string; fault?: Fault }[];
  /** Replace the rule (and clear `calls`). */
  set(rule: FaultRule): void;
  /** Pass everything through (and clear `calls`). */
  clear(): void;
  close(): Promise<void>;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** Start a proxy in front of `target` (e.g. the federation's engine endpoint). */
export async function faultyDynamo(
  target: string,
  credentials?: { accessKeyId: string; secretAccessKey: string },
): Promise<FaultyDynamo> {
  const upstream = new URL(target);
  let rule: FaultRule = () => undefined;
  const calls: FaultyDynamo['calls'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    const raw = await readAll(req);
    const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    let body: Call['body'] = {};
    try {
      body = JSON.parse(raw.toString('utf8')) as Call['body'];
    } catch {
      // not JSON: forwarded as is
    }
    const c: Call = { op, body };
    const fault = rule(c);
    calls.push({ op, pk: pkOf(c), sk: skOf(c), fault });
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'throughput' || fault === 'throttle') {
      const text = JSON.stringify({ __type: ERROR_TYPES[fault], message: 'Rate of requests exceeded' });
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'content-length': text.length });
      res.end(text);
      return;
    }
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host, 'content-length': raw.length },
      },
      (up) => {
        if (fault === 'lost-answer') {
          up.resume();
          up.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      },
    );
    forwarded.on('error', () => req.socket.destroy());
    forwarded.end(raw);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = faultClient(endpoint, credentials);
  return {
    endpoint,
    client,
    calls,
    set(next) {
      rule = next;
      calls.length = 0;
    },
    clear() {
      rule = () => undefined;
      calls.length = 0;
    },
    async close() {
      client.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A client for an endpoint nothing listens on: every call fails with ECONNREFUSED. */
export async function downDynamo(): Promise<DynamoDBClient> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return faultClient(`http://127.0.0.1:${port}`);
}

// ---------------------------------------------------------------------------------------------
// Instances beside the federation.

function signerFrom(file: string): Promise<Signer> {
  return LocalKeySigner.fromPrivateJwk(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
}

/** Another exchange "Lambda instance" on the federation's exchange table, over `client`. */
export async function exchangeInstance(fed: Federation, client: DynamoDBClient) {
  const signer = await signerFrom(join(fed.context.keysDir, 'federation.jwk.json'));
  const deps = createExchangeDeps({
    client,
    tableName: fed.context.exchange.tableName,
    signer,
    federationId: fed.state.federationId,
  });
  return { deps, ...exchangeRoutes(deps) };
}

/** What a province instance is built on. */
export interface ProvinceInstanceOptions {
  readonly region: string;
  readonly client: DynamoDBClient;
  /** Default: the region's own table in the federation. */
  readonly tableName?: string;
  /** Default: the region's issuer key file. */
  readonly issuer?: Signer;
  /** Default: the federation's exchange, 2 s timeout. */
  readonly exchange?: ExchangeClient;
}

/** Another province node "Lambda instance" (issue, verify, revoke, registry, sync) over `client`. */
export async function provinceInstance(fed: Federation, options: ProvinceInstanceOptions) {
  const { region } = options;
  const keys = fed.context.keysDir;
  const deps: ProvinceDeps = createProvinceDeps({
    region,
    federationId: fed.state.federationId,
    client: options.client,
    tableName: options.tableName ?? provinceTableName(region),
    issuerSigners: [options.issuer ?? (await signerFrom(join(keys, `${region}-issuer.jwk.json`)))],
    enrollmentSigner: await signerFrom(join(keys, `${region}-enrollment.jwk.json`)),
    exchange: options.exchange ?? createExchangeClient({ baseUrl: fed.state.exchangeUrl, timeoutMs: 2_000 }),
    federationJwks: fed.state.federationJwks as Jwks,
    registryCheckMs: 0,
    activeKeyCacheMs: 0,
  });
  const h = {
    issue: issueHandler(deps),
    verify: verifyHandler(deps),
    revoke: revokeCodeHandler(deps),
    registry: registryHandler(deps),
    sync: syncHandler(deps),
  };
  return {
    deps,
    issue: (body: unknown): Promise<Answer> =>
      call(h.issue, { method: 'POST', path: '/v1/codes', body: body as object }),
    verify: (code: string): Promise<Answer> =>
      call(h.verify, { method: 'POST', path: '/v1/codes/verify', body: { code } }),
    revoke: (codeId: string): Promise<Answer> =>
      call(h.revoke, {
        method: 'POST',
        path: '/v1/codes/{codeId}/revoke',
        pathParameters: { codeId },
      }),
    registry: (): Promise<Answer> => call(h.registry, { method: 'GET', path: '/v1/registry' }),
    sync: () => h.sync({} as never, {} as never),
  };
}

/** Create a fresh province table in the federation's engine (for an instance that starts empty). */
export async function freshProvinceTable(fed: Federation, name: string): Promise<string> {
  await createTable(fed.context.client, PROVINCE_TABLE, name);
  return name;
}

// ---------------------------------------------------------------------------------------------
// What is in the tables.

export type Item = Record<string, AttributeValue>;

/** Every item of `table`, read straight from the engine. */
export async function scanAll(client: DynamoDBClient, table: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await client.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

const pk = (i: Item) => i.pk.S as string;
const sk = (i: Item) => i.sk.S as string;

/** The exchange's log as stored, in seq order. */
export function logOf(items: readonly Item[]): LogEntry[] {
  return items
    .filter((i) => pk(i) === 'LOG')
    .map((i) => JSON.parse(i.doc.S as string) as LogEntry)
    .sort((a, b) => a.seq - b.seq);
}

/**
 * What is wrong with the exchange table (empty: nothing). The log must run 1..n without a gap and
 * hash-chain from genesis (unforked); every projected item must come from a log entry (no orphan)
 * and, once `projected` is expected, every entry must be projected (nothing half-written).
 * Nonce items are the one thing a refused or failed request may leave (by design: a consumed
 * nonce stays consumed until its TTL).
 */
export function exchangeViolations(items: readonly Item[], expectProjected = true): string[] {
  const problems: string[] = [];
  const log = logOf(items);
  log.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push(`log gap or duplicate at ${i + 1}`);
  });
  try {
    verifyChain(undefined, log);
  } catch {
    problems.push('log chain broken (fork or edit)');
  }
  const published = new Map<string, { region: string; revoked: boolean }>();
  const enrollment = new Map<string, string>();
  const provinces = new Set<string>();
  const codes = new Set<string>();
  for (const e of log) {
    if (e.type === 'province.registered') {
      provinces.add(e.region);
      enrollment.set((e.data.enrollmentKey as { kid: string }).kid, e.region);
    }
    if (e.type === 'key.published') published.set(e.data.kid, { region: e.region, revoked: false });
    if (e.type === 'key.revoked') {
      const k = published.get(e.data.kid);
      if (k) k.revoked = true;
    }
    if (e.type === 'code.revoked') codes.add(`${e.region}/${e.data.jti}`);
  }
  const seen = { keys: new Set<string>(), kids: new Set<string>(), codes: new Set<string>() };
  for (const i of items) {
    const p = pk(i);
    // Status batches, and each accepted segment revision's content item, are content-addressed and stored
    // before the entry that commits to them; their segment projections are checked by the status tests.
    if (
      p === 'LOG' ||
      p.startsWith('NONCE#') ||
      p.startsWith('SBATCH#') ||
      p.startsWith('SSEG#') ||
      p.startsWith('SCONTENT#')
    )
      continue;
    if (p === 'META') {
      const through = Number(i.seq?.N ?? 0);
      if (through > log.length) problems.push('projection ahead of the log');
      if (expectProjected && through !== log.length)
        problems.push(`projection at ${through} of ${log.length}`);
    } else if (p === 'PROVINCE') {
      if (!provinces.has(sk(i))) problems.push(`orphan province ${sk(i)}`);
    } else if (p.startsWith('KEY#')) {
      const k = published.get(sk(i));
      seen.keys.add(sk(i));
      if (!k || `KEY#${k.region}` !== p) problems.push('orphan key item');
      else if ((i.status?.S === 'revoked') !== k.revoked) problems.push('key status differs from the log');
    } else if (p.startsWith('KID#')) {
      const kid = p.slice(4);
      seen.kids.add(kid);
      if (!published.has(kid) && !enrollment.has(kid)) problems.push('orphan kid item');
    } else if (p.startsWith('SKID#')) {
      const kid = i.kid?.S ?? '';
      if (!kid.startsWith(p.slice(5)) || (!published.has(kid) && !enrollment.has(kid)))
        problems.push('orphan short kid item');
    } else if (p.startsWith('DELTA#')) {
      // A stored delta (signed at a publication) never goes past the log, nor starts after its end.
      const to = Number(i.to?.N);
      if (!(to <= log.length && Number(p.slice(6)) <= to)) problems.push('stored delta ahead of the log');
    } else if (p === 'CHECKPOINT' || p.startsWith('CHECKPOINT#')) {
      // The folded state at a version of the log (content chunks under CHECKPOINT#<version>).
      const version = Number(i.version?.N ?? p.slice(11));
      if (!(version <= log.length)) problems.push('checkpoint ahead of the log');
    } else if (p === 'PUBLISHED') {
      if ((i.versions?.L ?? []).some((v) => Number(v.N) > log.length))
        problems.push('published version ahead of the log');
    } else if (p.startsWith('CREV#')) {
      const id = `${p.slice(5)}/${sk(i)}`;
      seen.codes.add(id);
      if (!codes.has(id)) problems.push('orphan code revocation');
    } else problems.push(`unknown item ${p}`);
  }
  if (expectProjected) {
    for (const kid of published.keys()) {
      if (!seen.keys.has(kid) || !seen.kids.has(kid)) problems.push('published key not projected');
    }
    for (const id of codes) if (!seen.codes.has(id)) problems.push('code revocation not projected');
  }
  return problems;
}

/** Code ids of the records a province table holds. */
export function codeIdsOf(items: readonly Item[]): string[] {
  return items.filter((i) => pk(i).startsWith('CODE#')).map((i) => pk(i).slice(5));
}

/**
 * What is wrong with a province table's registry items: every replica chunk must belong to the
 * committed generation or the one it replaced (anything else is an orphan of a failed sync).
 */
export function replicaViolations(items: readonly Item[]): string[] {
  const meta = items.find((i) => pk(i) === 'REGISTRY' && sk(i) === 'REPLICA');
  const live = new Set([meta?.generation?.S, meta?.previousGeneration?.S].filter(Boolean));
  return items
    .filter((i) => pk(i) === 'REGISTRY' && sk(i).startsWith('CHUNK#'))
    .filter((i) => !live.has(sk(i).split('#')[1]))
    .map(() => 'orphan replica chunk');
}
