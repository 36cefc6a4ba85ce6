/**
 * End to end, in one process: the real exchange (its `create(deps)` handlers over dynalite, reached
 * through an in-process `fetch`) and two province nodes (Zhejiang and Guangdong), each with its own
 * table. Onboarding, first keys, issuing at A and verifying at B, revocation reaching B's verifier
 * (counting sync cycles), the exchange going down, key rotation, and no personal data anywhere.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { create as createIssue } from '../../functions/province/handlers/issue';
import { create as createRevoke } from '../../functions/province/handlers/revoke-code';
import { create as createSync } from '../../functions/province/handlers/sync';
import { create as createVerify } from '../../functions/province/handlers/verify';
import { createExchangeDeps } from '../../functions/exchange/deps';
import { createTable } from '../../functions/aws/dynamodb';
import { EXCHANGE_TABLE, PROVINCE_TABLE } from '../../functions/core/storage/tables';
import type { Signer } from '../../functions/core/signer';
import { shortKid } from '../../functions/core/keys';
import type { ProvinceDeps } from '../../functions/province/deps';
import { syncOnce } from '../../functions/province/sync';
import { rotateKey } from '../../functions/province/rotation';
import { handlersOf } from '../../functions/embedded/wiring';
import { routesOf } from '../../functions/routes';
import { captureLogs, dynaliteTables, lambdaContext, type DynaliteTables } from '../kit';
import {
  call,
  federationKey,
  FEDERATION,
  GD,
  HOLDER_NAME,
  ID_NUMBER,
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
  tableName: string;
}

let db: DynaliteTables;
let exchange: ReturnType<typeof inProcessFetch>;
let fed: Awaited<ReturnType<typeof federationKey>>;
let zj: Node;
let gd: Node;
let offset = 0;
/** Real time (the exchange checks request freshness against its own clock), shiftable forward. */
const now = () => Math.floor(Date.now() / 1000) + offset;

/** The exchange's route handlers over `deps`, wired the way the embedded runtime wires them. */
async function loadExchangeHandlers(deps: unknown): Promise<Record<string, AnyHandler>> {
  return handlersOf('exchange', deps).routes as Record<string, AnyHandler>;
}

async function provinceNode(region: string): Promise<Node> {
  const tableName = `e2e-${region}-${process.pid}`;
  await createTable(db.client, PROVINCE_TABLE, tableName);
  const issuer = await localSigner();
  const enrollment = await localSigner();
  const deps = provinceDeps({
    region,
    client: db.client,
    tableName,
    issuerSigners: [issuer],
    enrollmentSigner: enrollment,
    federationJwks: fed.jwks,
    fetch: exchange.fetch,
    now,
  });
  return { region, deps, issuer, enrollment, tableName };
}

async function register(node: Node, name: string): Promise<void> {
  const res = await exchange.fetch('http://exchange.test/v1/provinces', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ region: node.region, name, enrollmentKey: { ...node.enrollment.publicJwk } }),
  });
  expect(res.status).toBe(201);
}

/** First key: the same rotation procedure, with no old key to retire. */
async function firstKey(node: Node): Promise<void> {
  await rotateKey({
    region: node.region,
    federationId: FEDERATION,
    exchange: node.deps.exchange,
    enrollmentSigner: node.enrollment,
    newSigner: node.issuer,
    repository: node.deps.repository,
    federationKeys: node.deps.federationKeys,
    waitUntilVisible: { intervalMs: 10, timeoutMs: 5_000 },
    now,
  });
}

const issue = async (node: Node, over: Record<string, unknown> = {}) => {
  const res = await call(createIssue(node.deps), {
    method: 'POST',
    path: '/v1/codes',
    body: issueBody(over),
  });
  expect(res.statusCode).toBe(201);
  return res.json() as { code: string; codeId: string };
};

const verifyAt = async (node: Node, code: string) =>
  (await call(createVerify(node.deps), { method: 'POST', path: '/v1/codes/verify', body: { code } })).json();

const reasonCodes = (result: { reasons: { code: string }[] }) => result.reasons.map((r) => r.code);

beforeAll(async () => {
  db = await dynaliteTables([EXCHANGE_TABLE]);
  fed = await federationKey();
  const exchangeDeps = createExchangeDeps({
    client: db.client,
    tableName: db.tableName,
    signer: fed.signer,
    federationId: FEDERATION,
  });
  exchange = inProcessFetch(routesOf('exchange'), await loadExchangeHandlers(exchangeDeps));
  zj = await provinceNode(ZJ);
  gd = await provinceNode(GD);
  await register(zj, '浙江省');
  await register(gd, '广东省');
  await firstKey(zj);
  await firstKey(gd);
  for (const node of [zj, gd]) expect((await syncOnce(node.deps)).result).toBe('updated');
}, 60_000);
afterAll(() => db.close());

describe('a federation of two province nodes and the exchange', () => {
  it("verifies a code issued in Zhejiang at Guangdong's node", async () => {
    const { code, codeId } = await issue(zj, { status: 'green' });
    const result = await verifyAt(gd, code);
    expect(result).toMatchObject({ result: 'valid', status: 'green', codeId, issuer: { region: ZJ } });
  });

  it("gets a revocation to Guangdong's verifier on its next sync", async () => {
    const { code, codeId } = await issue(zj);
    expect((await verifyAt(gd, code)).result).toBe('valid');
    const revoked = await call(createRevoke(zj.deps), {
      method: 'POST',
      path: '/v1/codes/{codeId}/revoke',
      pathParameters: { codeId },
    });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revocation).toBe('published');

    const sync = createSync(gd.deps);
    let cycles = 0;
    const modes: (string | undefined)[] = [];
    let result = await verifyAt(gd, code);
    while (!reasonCodes(result).includes('CODE_REVOKED') && cycles < 5) {
      modes.push((await sync({} as never, lambdaContext())).mode);
      cycles++;
      result = await verifyAt(gd, code);
    }
    console.log(`revocation reached the other province's verifier after ${cycles} sync cycle(s)`);
    expect(cycles).toBe(1);
    // It came as a signed delta chained from the replica's own head, not a full resync.
    expect(modes).toEqual(['delta']);
    expect(result.result).toBe('invalid');
    expect(reasonCodes(result)).toEqual(['CODE_REVOKED']);
  });

  it('keeps verifying from the last replica while the exchange is down, until the list expires', async () => {
    const { code } = await issue(zj, { validitySeconds: 7 * 86_400 });
    await syncOnce(gd.deps);
    exchange.down();
    try {
      const failed = await syncOnce(gd.deps);
      expect(failed).toMatchObject({ result: 'failed', error: 'EXCHANGE_UNAVAILABLE' });
      expect((await verifyAt(gd, code)).result).toBe('valid');
      offset = 23 * 3600;
      await syncOnce(gd.deps);
      expect((await verifyAt(gd, code)).result).toBe('valid');
      offset = 25 * 3600;
      await syncOnce(gd.deps);
      const stale = await verifyAt(gd, code);
      expect(stale.result).toBe('indeterminate');
      expect(reasonCodes(stale)).toEqual(['TRUST_LIST_STALE']);
    } finally {
      exchange.up();
      offset = 0;
    }
    expect((await syncOnce(gd.deps)).result).not.toBe('failed');
    expect((await verifyAt(gd, code)).result).toBe('valid');
  });

  it('rotates a key: new codes use the new key, codes of the superseded key stay valid', async () => {
    const before = await issue(zj);
    const next = await localSigner();
    const oldKid = zj.issuer.kid;
    const rotation = await rotateKey({
      region: ZJ,
      federationId: FEDERATION,
      exchange: zj.deps.exchange,
      enrollmentSigner: zj.enrollment,
      newSigner: next,
      oldKid,
      repository: zj.deps.repository,
      federationKeys: zj.deps.federationKeys,
      waitUntilVisible: { intervalMs: 10, timeoutMs: 5_000 },
      // Longer than a second: a code the old key signed in the revocation's own second would be refused.
      switchGraceMs: 1_100,
      now,
    });
    expect(rotation).toMatchObject({ newKid: next.kid, oldKid });
    // The node learns the new key only through its configuration of signers: give it the new one.
    const rotated = provinceDeps({
      region: ZJ,
      client: db.client,
      tableName: zj.tableName,
      issuerSigners: [zj.issuer, next],
      enrollmentSigner: zj.enrollment,
      federationJwks: fed.jwks,
      fetch: exchange.fetch,
      now,
    });
    zj = { ...zj, deps: rotated, issuer: next };
    const after = await issue(zj);
    await syncOnce(gd.deps);
    const header = JSON.parse(Buffer.from(after.code.slice(5).split('.')[0], 'base64url').toString());
    expect(header.kid).toBe(shortKid(next.kid));
    expect((await verifyAt(gd, after.code)).result).toBe('valid');
    expect((await verifyAt(gd, before.code)).result).toBe('valid');
  });

  it('keeps the holder name and ID number out of every table and every log line', async () => {
    const logs = captureLogs();
    const { code, codeId } = await issue(zj);
    await verifyAt(gd, code);
    await call(createVerify(gd.deps), {
      method: 'POST',
      path: '/v1/codes/verify',
      body: { code, holder: { idType: '10', idNumber: ID_NUMBER } },
    });
    await call(createRevoke(zj.deps), {
      method: 'POST',
      path: '/v1/codes/{codeId}/revoke',
      pathParameters: { codeId },
    });
    await syncOnce(gd.deps);
    logs.stop();
    for (const table of [db.tableName, zj.tableName, gd.tableName]) {
      const { Items } = await db.client.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
      const text = JSON.stringify(Items);
      expect(text).not.toContain(ID_NUMBER);
      expect(text).not.toContain(HOLDER_NAME);
    }
    expect(logs.text()).not.toContain(ID_NUMBER);
    expect(logs.text()).not.toContain(HOLDER_NAME);
    expect(logs.text()).not.toContain(code.slice(5, 60));
  });
});
