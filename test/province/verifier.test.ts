/**
 * The verifier route over dynalite: any province's code against the node's replica, the in-memory
 * cache (no DynamoDB read per verification once warm), stale lists, 400 only for malformed
 * requests, and no holder data in its logs or its table.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { create as createIssue } from '../../functions/province/handlers/issue';
import { create as createRegistry } from '../../functions/province/handlers/registry';
import { create as createVerify } from '../../functions/province/handlers/verify';
import { createTable } from '../../functions/aws/dynamodb';
import { PROVINCE_TABLE } from '../../functions/core/storage/tables';
import type { Signer } from '../../functions/core/signer';
import { DEFAULT_RETENTION, type ProvinceDeps } from '../../functions/province/deps';
import { DynamoProvinceRepository } from '../../functions/province/dynamo-repository';
import type { ProvinceRepository } from '../../functions/province/repository';
import { captureLogs, dynaliteTables, NOW, unverifiedCodeRevocation, type DynaliteTables } from '../kit';
import {
  call,
  clock,
  federationKey,
  GD,
  HOLDER_NAME,
  ID_NUMBER,
  issueBody,
  listOf,
  signList,
  localSigner,
  provinceDeps,
  ZJ,
} from './fixtures';

let db: DynaliteTables;
let fed: Awaited<ReturnType<typeof federationKey>>;
let zjSigner: Signer;
let gdSigner: Signer;
let n = 0;

beforeAll(async () => {
  db = await dynaliteTables([PROVINCE_TABLE]);
  fed = await federationKey();
  zjSigner = await localSigner();
  gdSigner = await localSigner();
});
afterAll(() => db.close());

/** A repository that counts the reads the verifier makes. */
function counting(inner: ProvinceRepository) {
  const reads = { meta: 0, replica: 0 };
  const repo: ProvinceRepository = Object.assign(Object.create(inner) as ProvinceRepository, {
    getReplicaMeta: () => {
      reads.meta++;
      return inner.getReplicaMeta();
    },
    getReplica: () => {
      reads.replica++;
      return inner.getReplica();
    },
  });
  return { repo, reads };
}

async function nodes(options: { registryCheckMs?: number; expiresAt?: number; revoked?: string[] } = {}) {
  const time = clock(NOW);
  const make = async (region: string, signer: Signer) => {
    const name = `verify-${process.pid}-${++n}`;
    await createTable(db.client, PROVINCE_TABLE, name);
    const counted = counting(new DynamoProvinceRepository(db.client, name));
    const deps = provinceDeps({
      region,
      repository: counted.repo,
      issuerSigners: [signer],
      federationJwks: fed.jwks,
      now: time.now,
      registryCheckMs: options.registryCheckMs ?? 0,
    });
    return { deps, reads: counted.reads, tableName: name };
  };
  const zj = await make(ZJ, zjSigner);
  const gd = await make(GD, gdSigner);
  return { zj, gd, time };
}

async function installList(deps: ProvinceDeps, over: Parameters<typeof listOf>[1]) {
  const list = listOf(
    [
      { region: ZJ, signer: zjSigner, name: '浙江省' },
      { region: GD, signer: gdSigner, name: '广东省' },
    ],
    over,
  );
  await deps.repository.putReplica(list, { base: 'test', baseAcceptedAt: NOW, deltas: [] }, NOW);
}

const issue = async (deps: ProvinceDeps, over: Record<string, unknown> = {}) =>
  (await call(createIssue(deps), { method: 'POST', path: '/v1/codes', body: issueBody(over) })).json();

const verify = (deps: ProvinceDeps, body: unknown) =>
  call(createVerify(deps), { method: 'POST', path: '/v1/codes/verify', body: body as object });

describe('POST /v1/codes/verify', () => {
  it("verifies a code issued by another province's node, binding included", async () => {
    const { zj, gd } = await nodes();
    await installList(gd.deps, { now: NOW });
    const { code, codeId } = await issue(zj.deps, { status: 'yellow' });
    const res = await verify(gd.deps, { code, holder: { idType: '10', idNumber: ID_NUMBER } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      result: 'valid',
      status: 'yellow',
      issuer: { region: ZJ, name: '浙江省' },
      codeId,
      holder: { maskedName: '张**', idType: '10', bound: true },
      reasons: [],
      trustList: { version: 5 },
    });
  });

  it('answers 200 with MALFORMED for any string that is not a code, and 400 for a request that is not one', async () => {
    const { gd } = await nodes();
    await installList(gd.deps, { now: NOW });
    const garbage = await verify(gd.deps, { code: 'HCX1:not.a.code' });
    expect(garbage.statusCode).toBe(200);
    expect(garbage.json().reasons.map((r: { code: string }) => r.code)).toEqual(['MALFORMED']);
    expect((await verify(gd.deps, { holder: { idType: '10', idNumber: ID_NUMBER } })).statusCode).toBe(400);
    expect((await verify(gd.deps, { code: 'x', extra: 1 })).statusCode).toBe(400);
    const notJson = await call(createVerify(gd.deps), {
      method: 'POST',
      path: '/v1/codes/verify',
      headers: { 'content-type': 'application/json' },
      body: '{"code":',
    });
    expect(notJson.statusCode).toBe(400);
  });

  it('reads DynamoDB once when warm, not once per verification', async () => {
    const { zj, gd } = await nodes({ registryCheckMs: 60_000 });
    await installList(gd.deps, { now: NOW });
    const { code } = await issue(zj.deps);
    const handler = createVerify(gd.deps);
    for (let i = 0; i < 25; i++) {
      const res = await call(handler, { method: 'POST', path: '/v1/codes/verify', body: { code } });
      expect(res.json().result).toBe('valid');
    }
    expect(gd.reads).toEqual({ meta: 1, replica: 1 });
  });

  it('picks up a new replica version, and only reloads when the version changed', async () => {
    const { zj, gd } = await nodes();
    await installList(gd.deps, { now: NOW });
    const { code, codeId } = await issue(zj.deps);
    expect((await verify(gd.deps, { code })).json().result).toBe('valid');
    expect((await verify(gd.deps, { code })).json().result).toBe('valid');
    expect(gd.reads.replica).toBe(1);
    await installList(gd.deps, {
      now: NOW,
      version: 6,
      codeRevocations: [unverifiedCodeRevocation(ZJ, codeId, NOW + 86_400)],
    });
    const after = (await verify(gd.deps, { code })).json();
    expect(after.result).toBe('invalid');
    expect(after.reasons.map((r: { code: string }) => r.code)).toEqual(['CODE_REVOKED']);
    expect(gd.reads.replica).toBe(2);
  });

  it('answers indeterminate TRUST_LIST_STALE without a replica and once the list expired', async () => {
    const { zj, gd, time } = await nodes();
    const { code } = await issue(zj.deps);
    const none = (await verify(gd.deps, { code })).json();
    expect(none.result).toBe('indeterminate');
    expect(none.reasons.map((r: { code: string }) => r.code)).toContain('TRUST_LIST_STALE');
    await installList(gd.deps, { now: NOW, expiresAt: NOW + 600 });
    expect((await verify(gd.deps, { code })).json().result).toBe('valid');
    time.advance(601);
    const stale = (await verify(gd.deps, { code })).json();
    expect(stale.result).toBe('indeterminate');
    expect(stale.reasons.map((r: { code: string }) => r.code)).toEqual(['TRUST_LIST_STALE']);
  });

  it('logs no holder name, ID number or code, and stores nothing at the verifier', async () => {
    const { zj, gd } = await nodes();
    await installList(gd.deps, { now: NOW });
    const { code } = await issue(zj.deps);
    const before = await db.client.send(new ScanCommand({ TableName: gd.tableName, ConsistentRead: true }));
    const logs = captureLogs();
    await verify(gd.deps, { code, holder: { idType: '10', idNumber: ID_NUMBER } });
    await verify(gd.deps, { code: `${code}x`, holder: { idType: '10', idNumber: ID_NUMBER } });
    await verify(gd.deps, { code: 'HCX1:garbage', holder: { idType: '10', idNumber: ID_NUMBER } });
    logs.stop();
    const after = await db.client.send(new ScanCommand({ TableName: gd.tableName, ConsistentRead: true }));
    expect(after.Items).toEqual(before.Items);
    const text = logs.text();
    expect(text).not.toContain(ID_NUMBER);
    expect(text).not.toContain(HOLDER_NAME);
    expect(text).not.toContain(code.slice(5, 60));
  });
});

describe('GET /v1/registry', () => {
  it('reports version, age, expiry and the last sync', async () => {
    const { gd, time } = await nodes();
    const empty = await call(createRegistry(gd.deps), { method: 'GET', path: '/v1/registry' });
    expect(empty.json()).toEqual({
      version: null,
      ageSeconds: null,
      expiresAt: null,
      lastSync: null,
      retention: DEFAULT_RETENTION,
    });
    await installList(gd.deps, { now: NOW });
    await gd.deps.repository.putSyncStatus({
      lastSyncAt: NOW,
      lastResult: 'failed',
      lastError: 'EXCHANGE_UNAVAILABLE',
    });
    time.advance(50);
    const res = await call(createRegistry(gd.deps), { method: 'GET', path: '/v1/registry' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      version: 5,
      ageSeconds: 60,
      expiresAt: new Date((NOW + 86_400) * 1000).toISOString(),
      lastSync: { at: new Date(NOW * 1000).toISOString(), result: 'failed', error: 'EXCHANGE_UNAVAILABLE' },
      retention: DEFAULT_RETENTION,
    });
  });

  it('audits the replica against its signed evidence on request, and refuses a bad audit flag', async () => {
    // prepare: a replica written from a signed list, then one edited behind the node's back
    const { gd } = await nodes();
    const list = listOf(
      [
        { region: ZJ, signer: zjSigner, name: '浙江省' },
        { region: GD, signer: gdSigner, name: '广东省' },
      ],
      { now: NOW },
    );
    const evidence = { base: await signList(fed.signer, list), baseAcceptedAt: NOW, deltas: [] };
    await gd.deps.repository.putReplica(list, evidence, NOW);
    const audit = (query: Record<string, string>) =>
      call(createRegistry(gd.deps), { method: 'GET', path: '/v1/registry', queryStringParameters: query });

    // act
    const consistent = await audit({ audit: 'true' });
    const edited = { ...list, version: list.version + 1, provinces: list.provinces.slice(0, 1) };
    await gd.deps.repository.putReplica(edited, evidence, NOW);
    const inconsistent = await audit({ audit: 'true' });
    const plain = await audit({ audit: 'false' });
    const refused = await audit({ audit: 'maybe' });

    // assert
    expect(consistent.json().audit).toEqual({ result: 'consistent', version: list.version, deltas: 0 });
    expect(inconsistent.json().audit).toEqual({
      result: 'inconsistent',
      version: list.version + 1,
      deltas: 0,
      reason: 'LIST_MISMATCH',
    });
    expect(plain.json().audit).toBeUndefined();
    expect(refused.statusCode).toBe(400);
    expect(refused.json().code).toBe('REQUEST_INVALID');
  });
});
