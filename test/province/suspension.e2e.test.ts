/**
 * Suspending a province, end to end in one process: the exchange's handlers over dynalite (reached
 * through an in-process `fetch`), Zhejiang issuing and Guangdong verifying. After the operator
 * suspends Zhejiang, Guangdong's next sync makes its verifier answer ISSUER_SUSPENDED for
 * Zhejiang's codes, and Zhejiang can no longer revoke through the exchange.
 */
import { createExchangeDeps } from '../../functions/exchange/deps';
import { createTable } from '../../functions/aws/dynamodb';
import { EXCHANGE_TABLE, PROVINCE_TABLE } from '../../functions/core/storage/tables';
import type { Signer } from '../../functions/core/signer';
import { create as createIssue } from '../../functions/province/handlers/issue';
import { create as createRevoke } from '../../functions/province/handlers/revoke-code';
import { create as createVerify } from '../../functions/province/handlers/verify';
import type { ProvinceDeps } from '../../functions/province/deps';
import { rotateKey } from '../../functions/province/rotation';
import { syncOnce } from '../../functions/province/sync';
import { handlersOf } from '../../functions/embedded/wiring';
import { routesOf } from '../../functions/routes';
import { dynaliteTables, type DynaliteTables } from '../kit';
import {
  call,
  federationKey,
  FEDERATION,
  GD,
  inProcessFetch,
  issueBody,
  localSigner,
  provinceDeps,
  ZJ,
} from './fixtures';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyHandler = (event: any, context: any) => Promise<any>;

interface Node {
  region: string;
  deps: ProvinceDeps;
  issuer: Signer;
  enrollment: Signer;
}

const EXCHANGE = 'http://exchange.test';
let db: DynaliteTables;
let exchange: ReturnType<typeof inProcessFetch>;
let fed: Awaited<ReturnType<typeof federationKey>>;
let zj: Node;
let gd: Node;
const now = () => Math.floor(Date.now() / 1000);

/** The exchange's route handlers over `deps`, wired the way the embedded runtime wires them. */
async function exchangeHandlers(deps: unknown): Promise<Record<string, AnyHandler>> {
  return handlersOf('exchange', deps).routes as Record<string, AnyHandler>;
}

async function node(region: string, name: string): Promise<Node> {
  const tableName = `suspend-${region}-${process.pid}`;
  await createTable(db.client, PROVINCE_TABLE, tableName);
  const [issuer, enrollment] = await Promise.all([localSigner(), localSigner()]);
  const deps = provinceDeps({
    region,
    client: db.client,
    tableName,
    issuerSigners: [issuer],
    enrollmentSigner: enrollment,
    federationJwks: fed.jwks,
    exchangeUrl: EXCHANGE,
    fetch: exchange.fetch,
    now,
  });
  const res = await exchange.fetch(`${EXCHANGE}/v1/provinces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ region, name, enrollmentKey: { ...enrollment.publicJwk } }),
  });
  expect(res.status).toBe(201);
  return { region, deps, issuer, enrollment };
}

const verifyAt = async (at: Node, code: string) =>
  (await call(createVerify(at.deps), { method: 'POST', path: '/v1/codes/verify', body: { code } })).json();

beforeAll(async () => {
  db = await dynaliteTables([EXCHANGE_TABLE]);
  fed = await federationKey();
  const deps = createExchangeDeps({
    client: db.client,
    tableName: db.tableName,
    signer: fed.signer,
    federationId: FEDERATION,
  });
  exchange = inProcessFetch(routesOf('exchange'), await exchangeHandlers(deps));
  zj = await node(ZJ, '浙江省');
  gd = await node(GD, '广东省');
  await rotateKey({
    region: ZJ,
    federationId: FEDERATION,
    exchange: zj.deps.exchange,
    enrollmentSigner: zj.enrollment,
    newSigner: zj.issuer,
    repository: zj.deps.repository,
    federationKeys: zj.deps.federationKeys,
    waitUntilVisible: { intervalMs: 10, timeoutMs: 5_000 },
    now,
  });
  expect((await syncOnce(gd.deps)).result).toBe('updated');
}, 60_000);
afterAll(() => db.close());

describe('suspending a province', () => {
  it("makes another province's verifier answer ISSUER_SUSPENDED for its codes after one sync", async () => {
    // prepare: a code of Zhejiang that Guangdong verifies
    const issued = await call(createIssue(zj.deps), { method: 'POST', path: '/v1/codes', body: issueBody() });
    expect(issued.statusCode).toBe(201);
    const { code, codeId } = issued.json() as { code: string; codeId: string };
    expect((await verifyAt(gd, code)).result).toBe('valid');

    // act: the operator suspends Zhejiang; Guangdong syncs once
    const suspended = await exchange.fetch(`${EXCHANGE}/v1/provinces/${ZJ}/suspend`, { method: 'POST' });
    const sync = await syncOnce(gd.deps);
    const result = await verifyAt(gd, code);
    const revoke = await call(createRevoke(zj.deps), {
      method: 'POST',
      path: '/v1/codes/{codeId}/revoke',
      pathParameters: { codeId },
    });

    // assert
    expect(suspended.status).toBe(200);
    expect(sync.result).toBe('updated');
    expect(result.result).toBe('invalid');
    expect((result.reasons as { code: string }[]).map((r) => r.code)).toEqual(['ISSUER_SUSPENDED']);
    // the exchange refused Zhejiang's signed request: nothing of it reached the log
    expect(revoke.statusCode).toBeGreaterThanOrEqual(400);
    const log = (await (await exchange.fetch(`${EXCHANGE}/v1/log`)).json()) as {
      entries: { type: string }[];
    };
    expect(log.entries.map((e) => e.type)).not.toContain('code.revoked');
    expect(log.entries.at(-1)?.type).toBe('province.suspended');
  });
});
