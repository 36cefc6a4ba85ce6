/**
 * Faults at the exchange: DynamoDB throttled or down under publication, revocation and the trust
 * list; a writer killed between the log append and its projection; an answer lost after the write;
 * the same request retried. Each case ends by scanning the table: the log gapless and unforked,
 * no orphan item, every entry projected once the next request ran.
 */
import { generateSigningKey, type GeneratedKey } from '../../functions/core/keys';
import type { Federation } from '../../functions/embedded/federation';
import type { Answer } from '../exchange/fixtures';
import { now, signedAs, startTestFederation, type ProvinceState } from '../kit/federation';
import {
  downDynamo,
  exchangeInstance,
  exchangeViolations,
  faultReport,
  faultyDynamo,
  logOf,
  pkOf,
  scanAll,
  type FaultyDynamo,
  type Item,
} from './kit';

let fed: Federation;
let proxy: FaultyDynamo;
let ex: Awaited<ReturnType<typeof exchangeInstance>>;
let zj: ProvinceState;
const report = faultReport('exchange');

beforeAll(async () => {
  fed = await startTestFederation();
  [zj] = fed.state.provinces;
  proxy = await faultyDynamo(fed.context.engineEndpoint, fed.context.engineCredentials);
  ex = await exchangeInstance(fed, proxy.client);
}, 60_000);
afterEach(() => proxy.clear());
afterAll(async () => {
  report.print();
  await proxy?.close();
  await fed?.close();
});

const table = () => scanAll(fed.context.client, fed.context.exchange.tableName);
const withoutNonces = (items: Item[]) => items.filter((i) => !(i.pk.S as string).startsWith('NONCE#'));
const nonces = (items: Item[]) => items.length - withoutNonces(items).length;
const isLogPut = (c: { op: string; body: object }) => c.op === 'PutItem' && pkOf(c as never) === 'LOG';

const publishBody = (key: GeneratedKey) =>
  signedAs(fed, zj, {
    op: 'key.publish',
    key: { ...key.publicJwk },
    alg: key.alg,
    notBefore: now() - 60,
    notAfter: now() + 30 * 86_400,
  });

async function publishedKey(): Promise<GeneratedKey> {
  const key = await generateSigningKey('ES256');
  expect((await ex.publish(zj.region, await publishBody(key))).statusCode).toBe(201);
  return key;
}

const revokeBody = (kid: string, reason = 'retired') =>
  signedAs(fed, zj, { op: 'key.revoke', kid, reason, revokedAt: now() });

const codeRevokeBody = (jti: string) =>
  signedAs(fed, zj, { op: 'code.revoke', codes: [{ jti, exp: now() + 3600 }] });

const jti = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');

/** A retryable 503 as the contract has it: problem details, stable code, Retry-After. */
function expectRetryable(res: Answer) {
  expect([res.statusCode, res.json().code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
  expect(res.headers?.['retry-after']).toMatch(/^[0-9]+$/);
}

describe('DynamoDB throttled at the exchange', () => {
  it.each(['throughput', 'throttle'] as const)(
    'answers a key publication whose log append is throttled (%s) with a retryable 503 and writes nothing but the nonce',
    async (fault) => {
      const done = report.start(`exchange publish, log append throttled (${fault})`);
      const before = await table();
      proxy.set((c) => (isLogPut(c) ? fault : undefined));
      const key = await generateSigningKey('ES256');

      const res = await ex.publish(zj.region, await publishBody(key));

      expectRetryable(res);
      const after = await table();
      expect(withoutNonces(after)).toEqual(withoutNonces(before));
      expect(nonces(after)).toBe(nonces(before) + 1);
      expect(exchangeViolations(after)).toEqual([]);
      proxy.clear();
      expect((await ex.publish(zj.region, await publishBody(key))).statusCode).toBe(201);
      done(`503 Retry-After; nothing but the nonce written; re-signed retry 201`);
    },
  );

  it('answers a key revocation whose log append is throttled with a retryable 503 and leaves the key active', async () => {
    const done = report.start('exchange revoke key, log append throttled');
    const key = await publishedKey();
    const before = await table();
    proxy.set((c) => (isLogPut(c) ? 'throughput' : undefined));

    const res = await ex.revokeKey(zj.region, key.kid, await revokeBody(key.kid));

    expectRetryable(res);
    expect(withoutNonces(await table())).toEqual(withoutNonces(before));
    proxy.clear();
    const jwks = (await ex.jwks(zj.region)).json() as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(key.kid);
    done('503 Retry-After; key still active, log unchanged');
  });

  it('answers a code revocation whose log append is throttled with a retryable 503 and records nothing', async () => {
    const done = report.start('exchange revoke codes, log append throttled');
    const before = await table();
    proxy.set((c) => (isLogPut(c) ? 'throttle' : undefined));

    const res = await ex.revokeCodes(zj.region, await codeRevokeBody(jti()));

    expectRetryable(res);
    expect(withoutNonces(await table())).toEqual(withoutNonces(before));
    done('503 Retry-After; no code.revoked entry, no CREV item');
  });

  it('answers a trust-list request whose log read is throttled with a retryable 503', async () => {
    const done = report.start('exchange trust list, log read throttled');
    proxy.set((c) => (c.op === 'Query' ? 'throughput' : undefined));

    const res = await ex.trustList();

    expectRetryable(res);
    done('503 Retry-After');
  });
});

describe('DynamoDB down at the exchange (connection refused)', () => {
  let down: Awaited<ReturnType<typeof exchangeInstance>>;
  beforeAll(async () => {
    down = await exchangeInstance(fed, await downDynamo());
  });

  it('answers publication, revocation and the trust list with a retryable 503 and changes nothing', async () => {
    const done = report.start('exchange publish/revoke/codes/list, DynamoDB down');
    const key = await publishedKey();
    const before = await table();

    const answers = [
      await down.publish(zj.region, await publishBody(await generateSigningKey('ES256'))),
      await down.revokeKey(zj.region, key.kid, await revokeBody(key.kid)),
      await down.revokeCodes(zj.region, await codeRevokeBody(jti())),
      await down.trustList(),
    ];

    for (const res of answers) expectRetryable(res);
    expect(await table()).toEqual(before);
    done('4 x 503 Retry-After; table byte-for-byte unchanged');
  });
});

describe('a writer killed between two writes at the exchange', () => {
  it('repairs a key revocation whose projection was never written: the next request projects it', async () => {
    const done = report.start('exchange killed between append and key projection');
    const key = await publishedKey();
    // The append succeeds, then the process "dies" on the projection update of the key item.
    proxy.set((c) => (c.op === 'UpdateItem' && pkOf(c) === `KEY#${zj.region}` ? 'reset' : undefined));

    const res = await ex.revokeKey(zj.region, key.kid, await revokeBody(key.kid));

    expect(res.statusCode).toBe(200); // in the ledger: the revocation happened
    expect(exchangeViolations(await table())).toContain('key status differs from the log');
    proxy.clear();
    const jwks = (await ex.jwks(zj.region)).json() as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).not.toContain(key.kid);
    expect(exchangeViolations(await table())).toEqual([]);
    done('200 (in the ledger); next read repaired the projection; table consistent');
  });

  it('repairs a code revocation whose projection was never written', async () => {
    const done = report.start('exchange killed between append and code projection');
    const id = jti();
    proxy.set((c) => (c.op === 'PutItem' && pkOf(c)?.startsWith('CREV#') ? 'reset' : undefined));

    const res = await ex.revokeCodes(zj.region, await codeRevokeBody(id));

    expect([res.statusCode, res.json().revoked]).toEqual([200, 1]);
    expect(exchangeViolations(await table())).toContain('code revocation not projected');
    proxy.clear();
    const again = await ex.revokeCodes(zj.region, await codeRevokeBody(id));
    expect([again.statusCode, again.json().revoked, again.json().alreadyRevoked]).toEqual([200, 0, 1]);
    expect(exchangeViolations(await table())).toEqual([]);
    done('200; the retry repaired the projection and added no second entry');
  });

  it('answers 503 when the log append was written but its answer lost, and the retry finds the key published', async () => {
    const done = report.start('exchange log append written, answer lost');
    const key = await generateSigningKey('ES256');
    proxy.set((c) => (isLogPut(c) ? 'lost-answer' : undefined));

    const res = await ex.publish(zj.region, await publishBody(key));

    expectRetryable(res);
    proxy.clear();
    const log = logOf(await table());
    expect(log.at(-1)).toMatchObject({ type: 'key.published', data: { kid: key.kid } });
    const retried = await ex.publish(zj.region, await publishBody(key));
    expect([retried.statusCode, retried.json().code]).toEqual([409, 'KEY_ALREADY_KNOWN']);
    const after = await table();
    expect(logOf(after)).toEqual(log);
    expect(exchangeViolations(after)).toEqual([]);
    done('503, entry committed; retry 409 KEY_ALREADY_KNOWN; one entry; repaired');
  });
});

describe('the same request retried at the exchange', () => {
  it('answers a key publication retried with a new signed request 409 KEY_ALREADY_KNOWN and leaves the log unchanged', async () => {
    const done = report.start('exchange key publication re-signed and retried');
    const key = await publishedKey();
    const before = logOf(await table());

    const res = await ex.publish(zj.region, await publishBody(key));

    expect([res.statusCode, res.json().code]).toEqual([409, 'KEY_ALREADY_KNOWN']);
    expect(logOf(await table())).toEqual(before);
    done('409 KEY_ALREADY_KNOWN; log unchanged');
  });

  it('refuses the very same signed publication sent again as a replay (401), log unchanged', async () => {
    const done = report.start('exchange same signed request resent');
    const key = await generateSigningKey('ES256');
    const body = await publishBody(key);
    expect((await ex.publish(zj.region, body)).statusCode).toBe(201);
    const before = logOf(await table());

    const res = await ex.publish(zj.region, body);

    expect([res.statusCode, res.json().code]).toEqual([401, 'UNAUTHORIZED']);
    expect(logOf(await table())).toEqual(before);
    done('401 UNAUTHORIZED (nonce reused); log unchanged');
  });

  it('records a code revocation published twice as one log entry, the second answering 200 alreadyRevoked', async () => {
    const done = report.start('exchange code revocation published twice');
    const id = jti();
    expect((await ex.revokeCodes(zj.region, await codeRevokeBody(id))).json().revoked).toBe(1);
    const before = logOf(await table());

    const res = await ex.revokeCodes(zj.region, await codeRevokeBody(id));

    expect([res.statusCode, res.json().revoked, res.json().alreadyRevoked]).toEqual([200, 0, 1]);
    const log = logOf(await table());
    expect(log).toEqual(before);
    expect(log.filter((e) => e.type === 'code.revoked' && e.data.jti === id)).toHaveLength(1);
    done('200 alreadyRevoked=1; exactly one code.revoked entry');
  });

  it('answers a key revocation retried 409 KEY_ALREADY_REVOKED and leaves the log unchanged', async () => {
    const done = report.start('exchange key revocation retried');
    const key = await publishedKey();
    expect((await ex.revokeKey(zj.region, key.kid, await revokeBody(key.kid))).statusCode).toBe(200);
    const before = logOf(await table());

    const res = await ex.revokeKey(zj.region, key.kid, await revokeBody(key.kid));

    expect([res.statusCode, res.json().code]).toEqual([409, 'KEY_ALREADY_REVOKED']);
    const after = await table();
    expect(logOf(after)).toEqual(before);
    expect(exchangeViolations(after)).toEqual([]);
    done('409 KEY_ALREADY_REVOKED (the province client counts it as done); log unchanged');
  });
});
