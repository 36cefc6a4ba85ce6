/**
 * Faults at a province node: DynamoDB throttled or down under issue, revoke, verify (cold and warm
 * cache) and sync; KMS throttled at issuance; a node killed between its record write and the
 * exchange publication, or after the exchange accepted; the same revocation retried. Each case
 * checks what the tables hold afterwards: no record of a code that was never issued, the replica
 * untouched by a failed sync, the exchange log with exactly one entry per revocation.
 */
import { openBatch } from '../../functions/core/status/batch';
import { locate } from '../../functions/core/status/segment';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { p256 } from '@noble/curves/nist.js';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeB64url } from '../../functions/core/b64';
import { generateSigningKey } from '../../functions/core/keys';
import { KmsSigner } from '../../functions/aws/kms-signer';
import type { Federation } from '../../functions/embedded/federation';
import { createExchangeClient } from '../../functions/province/exchange-client';
import type { Answer } from '../exchange/fixtures';
import { HOLDER, now, signedAs, startTestFederation, type ProvinceState } from '../kit/federation';
import {
  codeIdsOf,
  downDynamo,
  exchangeViolations,
  faultReport,
  faultyDynamo,
  freshProvinceTable,
  logOf,
  pkOf,
  provinceInstance,
  replicaViolations,
  scanAll,
  type FaultyDynamo,
} from './kit';

let fed: Federation;
let proxy: FaultyDynamo;
let zj: ProvinceState;
let node: Awaited<ReturnType<typeof provinceInstance>>;
const report = faultReport('province node');

beforeAll(async () => {
  fed = await startTestFederation();
  [zj] = fed.state.provinces;
  proxy = await faultyDynamo(fed.context.engineEndpoint, fed.context.engineCredentials);
  node = await provinceInstance(fed, { region: zj.region, client: proxy.client });
}, 60_000);
afterEach(() => proxy.clear());
afterAll(async () => {
  report.print();
  await proxy?.close();
  await fed?.close();
});

const provinceTable = (name = `hcx-province-${zj.region}`) => scanAll(fed.context.client, name);
const exchangeTable = () => scanAll(fed.context.client, fed.context.exchange.tableName);
const body = { holder: HOLDER, status: 'green' };

function expectRetryable(res: Answer, code = 'SERVICE_UNAVAILABLE') {
  expect([res.statusCode, res.json().code]).toEqual([503, code]);
  expect(res.headers?.['retry-after']).toMatch(/^[0-9]+$/);
}

async function issued(): Promise<{ code: string; codeId: string }> {
  const res = await node.issue(body);
  expect(res.statusCode).toBe(201);
  return res.json();
}

/**
 * The log entries that revoke `jti`: by id (`code.revoked`), or by status index (a
 * `status.published` whose batch, stored in the exchange table, sets the code's bit).
 */
const codeRevocations = async (jti: string) => {
  const items = await exchangeTable();
  const record = (await provinceTable()).find((i) => i.pk?.S === `CODE#${jti}`);
  const si = record?.statusIndex?.N === undefined ? undefined : Number(record.statusIndex.N);
  const batch = (hash: string) =>
    Buffer.concat(
      items
        .filter((i) => i.pk?.S === `SBATCH#${hash}` && i.sk?.S?.startsWith('CHUNK#'))
        .sort((a, b) => String(a.sk.S).localeCompare(String(b.sk.S)))
        .map((i) => i.data.B as Uint8Array),
    ).toString('utf8');
  return logOf(items).filter((e) => {
    if (e.type === 'code.revoked') return e.data.jti === jti;
    if (e.type !== 'status.published' || si === undefined) return false;
    const { segment, offset } = locate(si);
    const item = openBatch(batch(e.data.batch), e.data.batch).segments.get(segment);
    // A full segment carries every offset; a patch, those it adds.
    return (item?.kind === 'patch' ? item.add : item?.set)?.has(offset) ?? false;
  });
};

describe('DynamoDB throttled or down at issuance', () => {
  it.each(['throughput', 'throttle'] as const)(
    'answers an issue whose record write is throttled (%s) with a retryable 503 and keeps no record',
    async (fault) => {
      const done = report.start(`province issue, record write throttled (${fault})`);
      const before = codeIdsOf(await provinceTable());
      proxy.set((c) => (c.op === 'PutItem' && pkOf(c)?.startsWith('CODE#') ? fault : undefined));

      const res = await node.issue(body);

      expectRetryable(res);
      expect(codeIdsOf(await provinceTable())).toEqual(before);
      done('503 Retry-After; no code record');
    },
  );

  it('answers an issue with DynamoDB down with a retryable 503 and keeps no record', async () => {
    const done = report.start('province issue, DynamoDB down');
    const down = await provinceInstance(fed, { region: zj.region, client: await downDynamo() });
    const before = await provinceTable();

    const res = await down.issue(body);

    expectRetryable(res);
    expect(await provinceTable()).toEqual(before);
    done('503 Retry-After; table unchanged');
  });

  it('answers 503 when the record was written but the answer lost: one record of an undelivered code, with its TTL', async () => {
    const done = report.start('province issue, record written, answer lost');
    const before = new Set(codeIdsOf(await provinceTable()));
    proxy.set((c) => (c.op === 'PutItem' && pkOf(c)?.startsWith('CODE#') ? 'lost-answer' : undefined));

    const res = await node.issue(body);

    expectRetryable(res);
    const items = await provinceTable();
    const added = items.filter(
      (i) => (i.pk.S as string).startsWith('CODE#') && !before.has(i.pk.S!.slice(5)),
    );
    expect(added).toHaveLength(1);
    // Nobody holds this code; the record (a pseudonym, no name, no ID number) goes with its TTL.
    expect(Number(added[0].ttl.N)).toBeLessThanOrEqual(now() + 2 * 86_400 + 5);
    expect(added[0].status.S).toBe('issued');
    done('503; one record of a code never delivered, expires by TTL (accepted, see docs)');
  });
});

describe('KMS throttled at issuance', () => {
  let kmsNode: Awaited<ReturnType<typeof provinceInstance>>;
  let kms: ReturnType<typeof mockClient>;
  let table: string;
  let signNormally: () => void;
  const throttled = () =>
    Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });

  beforeAll(async () => {
    // A KMS whose answers come from a real local P-256 key (what it signs verifies).
    const key = await generateSigningKey('ES256');
    const secret = decodeB64url(key.privateJwk.d as string) as Uint8Array;
    const spki = createPublicKey({ key: { ...key.publicJwk }, format: 'jwk' }).export({
      type: 'spki',
      format: 'der',
    });
    const client = new KMSClient({ region: 'cn-north-1' });
    kms = mockClient(client);
    kms.on(GetPublicKeyCommand).resolves({
      KeyId: 'arn:aws:kms:cn-north-1:123456789012:key/faults',
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      PublicKey: new Uint8Array(spki),
    });
    signNormally = () =>
      kms.on(SignCommand).callsFake((input: { Message: Uint8Array }) => ({
        Signature: p256.sign(input.Message, secret, { prehash: false, format: 'der' }),
      }));
    signNormally();
    table = await freshProvinceTable(fed, 'faults-kms');
    const signer = await KmsSigner.create({ client, keyId: 'alias/hcx-issuer' });
    kmsNode = await provinceInstance(fed, {
      region: zj.region,
      client: fed.context.client,
      tableName: table,
      issuer: signer,
    });
  });
  afterAll(() => kms.restore());
  const deleteCodes = async (name: string) => {
    // Gone entirely (erasure would keep what revocation needs): each case starts from no record.
    for (const id of codeIdsOf(await provinceTable(name))) {
      await fed.context.client.send(
        new DeleteItemCommand({ TableName: name, Key: { pk: { S: `CODE#${id}` }, sk: { S: 'CODE' } } }),
      );
    }
  };

  it.each(['ThrottlingException', 'KMSInternalException'])(
    'answers an issue whose KMS Sign fails with %s with a retryable 503 and keeps no record',
    async (name) => {
      const done = report.start(`province issue, KMS Sign ${name}`);
      kms.on(SignCommand).rejects(Object.assign(throttled(), { name }));

      const res = await kmsNode.issue(body);

      expectRetryable(res);
      expect(codeIdsOf(await provinceTable(table))).toEqual([]);
      signNormally();
      const retried = await kmsNode.issue(body);
      expect(retried.statusCode).toBe(201);
      expect(codeIdsOf(await provinceTable(table))).toEqual([retried.json().codeId]);
      await deleteCodes(table);
      done('503 Retry-After; no record; the retry issues one code');
    },
  );
});

describe('DynamoDB faults at revocation', () => {
  it('answers a revocation whose record update is throttled with a retryable 503 and changes nothing', async () => {
    const done = report.start('province revoke, record update throttled');
    const { codeId } = await issued();
    const before = await provinceTable();
    const log = logOf(await exchangeTable());
    proxy.set((c) => (c.op === 'UpdateItem' ? 'throughput' : undefined));

    const res = await node.revoke(codeId);

    expectRetryable(res);
    expect(await provinceTable()).toEqual(before);
    expect(logOf(await exchangeTable())).toEqual(log);
    done('503 Retry-After; record and exchange log unchanged');
  });

  it('answers a revocation with DynamoDB down with a retryable 503 and changes nothing', async () => {
    const done = report.start('province revoke, DynamoDB down');
    const { codeId } = await issued();
    const down = await provinceInstance(fed, { region: zj.region, client: await downDynamo() });
    const before = await provinceTable();

    const res = await down.revoke(codeId);

    expectRetryable(res);
    expect(await provinceTable()).toEqual(before);
    done('503 Retry-After; table unchanged');
  });

  it('keeps a revocation pending when the exchange is unreachable after the record write, and the retry publishes it once', async () => {
    const done = report.start('province revoke, killed before the exchange publication');
    const { codeId } = await issued();
    const cut = await provinceInstance(fed, {
      region: zj.region,
      client: fed.context.client,
      exchange: createExchangeClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 500 }),
    });

    const res = await cut.revoke(codeId);

    expectRetryable(res, 'EXCHANGE_UNAVAILABLE');
    const record = await node.deps.repository.getCode(codeId);
    expect(record).toMatchObject({ status: 'revoked' });
    expect(record?.revocationPublishedAt).toBeUndefined();
    expect(await codeRevocations(codeId)).toHaveLength(0);
    const retried = await node.revoke(codeId);
    expect([retried.statusCode, retried.json().revocation]).toEqual([200, 'published']);
    expect(await codeRevocations(codeId)).toHaveLength(1);
    done('503 EXCHANGE_UNAVAILABLE, record pending; retry 200 published; one log entry');
  });

  it('completes a revocation killed after the exchange accepted it: the retry adds no second log entry', async () => {
    const done = report.start('province revoke, killed after the exchange accepted');
    const { codeId } = await issued();
    proxy.set((c) =>
      c.op === 'UpdateItem' && String(c.body.UpdateExpression).includes('revocationPublishedAt')
        ? 'reset'
        : undefined,
    );

    const res = await node.revoke(codeId);

    expectRetryable(res);
    expect(await codeRevocations(codeId)).toHaveLength(1);
    proxy.clear();
    const retried = await node.revoke(codeId);
    expect([retried.statusCode, retried.json().revocation]).toEqual([200, 'published']);
    expect(await codeRevocations(codeId)).toHaveLength(1);
    expect(exchangeViolations(await exchangeTable())).toEqual([]);
    done('503; retry 200 published; exactly one code.revoked entry');
  });

  it('answers a revocation retried after success 200 with the same record and no new log entry', async () => {
    const done = report.start('province revoke retried');
    const { codeId } = await issued();
    const first = await node.revoke(codeId);
    expect(first.statusCode).toBe(200);
    const log = logOf(await exchangeTable());

    const again = await node.revoke(codeId);

    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(logOf(await exchangeTable())).toEqual(log);
    done('200 idempotent (same revokedAt); log unchanged');
  });
});

describe('DynamoDB faults at verification', () => {
  it('answers a verification with a cold cache and DynamoDB down with a retryable 503', async () => {
    const done = report.start('province verify, cold cache, DynamoDB down');
    const { code } = await issued();
    const cold = await provinceInstance(fed, { region: zj.region, client: await downDynamo() });

    const res = await cold.verify(code);

    expectRetryable(res);
    done('503 Retry-After (no snapshot to answer from)');
  });

  it.each(['reset', 'throughput'] as const)(
    'keeps verifying from the cached snapshot when DynamoDB fails (%s) with a warm cache',
    async (fault) => {
      const done = report.start(`province verify, warm cache, DynamoDB ${fault}`);
      const { code } = await issued();
      const warm = await provinceInstance(fed, { region: zj.region, client: proxy.client });
      expect((await warm.verify(code)).json().result).toBe('valid');
      proxy.set(() => fault);

      const res = await warm.verify(code);

      expect([res.statusCode, res.json().result]).toEqual([200, 'valid']);
      expect(proxy.calls.some((c) => c.fault === fault)).toBe(true);
      done('200 valid from the cached snapshot');
    },
  );
});

describe('DynamoDB faults at sync', () => {
  /** Put a new entry in the exchange log, so a sync has something to write. */
  async function moveTheLog(): Promise<void> {
    const jti = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
    const res = await fetch(`${fed.state.exchangeUrl}/v1/provinces/${zj.region}/code-revocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: await signedAs(fed, zj, { op: 'code.revoke', codes: [{ jti, exp: now() + 3600 }] }),
    });
    expect(res.status).toBe(200);
  }
  const replicaMeta = async () =>
    (await provinceTable()).find((i) => i.pk.S === 'REGISTRY' && i.sk.S === 'REPLICA');

  it('fails a sync whose replica commit is throttled, keeps the replica, cleans its chunks, and records the failure', async () => {
    const done = report.start('province sync, replica commit throttled');
    await moveTheLog();
    const before = await replicaMeta();
    proxy.set((c) => (c.op === 'PutItem' && c.body.Item?.sk?.S === 'REPLICA' ? 'throughput' : undefined));

    const outcome = await node.sync();

    expect(outcome.result).toBe('failed');
    const items = await provinceTable();
    expect(await replicaMeta()).toEqual(before);
    expect(replicaViolations(items)).toEqual([]);
    proxy.clear();
    const status = (await node.registry()).json() as { lastSync: { result: string; error?: string } };
    // A throttled table is a retryable condition and the status should say so by its stable code.
    expect([status.lastSync.result, status.lastSync.error]).toEqual(['failed', 'SERVICE_UNAVAILABLE']);
    done(`sync failed (lastError ${status.lastSync.error}); replica unchanged; no orphan chunk`);
  });

  it('leaves only TTL-bound chunks when a sync is killed between its chunk writes and the commit, and the next sync succeeds', async () => {
    const done = report.start('province sync, killed between chunks and commit');
    await moveTheLog();
    const before = await replicaMeta();
    proxy.set((c) =>
      (c.op === 'PutItem' && c.body.Item?.sk?.S === 'REPLICA') || c.op === 'DeleteItem' ? 'reset' : undefined,
    );

    const outcome = await node.sync();

    expect(outcome.result).toBe('failed');
    const items = await provinceTable();
    expect(await replicaMeta()).toEqual(before);
    const orphans = items.filter(
      (i) =>
        i.pk.S === 'REGISTRY' &&
        i.sk.S?.startsWith('CHUNK#') &&
        ![before?.generation?.S, before?.previousGeneration?.S].includes(i.sk.S.split('#')[1]),
    );
    expect(orphans.length).toBeGreaterThan(0);
    for (const o of orphans) expect(Number(o.ttl.N)).toBeGreaterThan(now());
    proxy.clear();
    expect((await node.sync()).result).toBe('updated');
    const { code } = await issued();
    expect((await node.verify(code)).json().result).toBe('valid');
    done(`sync failed, replica unchanged; ${orphans.length} orphan chunk(s) left to TTL; next sync updated`);
  });

  it('fails a sync with DynamoDB down without throwing, and the warm verifier keeps answering', async () => {
    const done = report.start('province sync, DynamoDB down');
    const { code } = await issued();
    const warm = await provinceInstance(fed, { region: zj.region, client: proxy.client });
    expect((await warm.verify(code)).json().result).toBe('valid');
    proxy.set(() => 'reset');

    const outcome = await warm.sync();

    expect([outcome.result, outcome.error]).toEqual(['failed', 'SERVICE_UNAVAILABLE']);
    expect((await warm.verify(code)).json().result).toBe('valid');
    done(`sync failed (${outcome.error}), nothing written; verification continues`);
  });
});
