import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ScheduledEvent } from 'aws-lambda';
import type { LambdaHandler } from '../../functions/embedded/adapter';
import { generateSigningKey } from '../../functions/core/keys';
import { buildHandlers } from '../../functions/embedded/wiring';
import { summary } from '../../bin/start';
import {
  startFederation,
  type Federation,
  type FederationContext,
  type FederationOptions,
  type ServiceHandlersMap,
} from '../../functions/embedded/federation';

const dirs: string[] = [];
const running: Federation[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hcx-federation-'));
  dirs.push(d);
  return d;
}

/** Fake domain wiring: handlers that echo who they are, a sync that counts, a provisioning that writes key files. */
function fakes() {
  const syncs: { region: string; event: ScheduledEvent }[] = [];
  const echo =
    (who: string): LambdaHandler =>
    async (event) => ({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ who, routeKey: event.routeKey }),
    });
  const buildHandlers = (ctx: FederationContext): ServiceHandlersMap => ({
    exchange: {
      routes: { 'exchange-federation': echo('exchange'), 'exchange-register-province': echo('exchange') },
      extraRoutes: { '/openapi.json': () => ({ statusCode: 200, body: '{"openapi":"3.1.0"}' }) },
    },
    provinces: Object.fromEntries(
      ctx.provinces.map((p) => [
        p.region,
        {
          routes: { 'province-issue': echo(p.region), 'province-verify': echo(p.region) },
          scheduled: {
            'province-sync': async (event: ScheduledEvent) => {
              syncs.push({ region: p.region, event });
            },
          },
        },
      ]),
    ),
  });
  const provision: FederationOptions['provision'] = async (ctx) => {
    const files: Record<string, string> = {};
    for (const p of ctx.provinces) {
      files[p.region] = join(ctx.keysDir, `${p.region}-enrollment.jwk.json`);
      writeFileSync(files[p.region], '{"kty":"EC"}', { mode: 0o600 });
    }
    return { federationId: 'fed-test', federationJwks: { keys: [{ kty: 'EC' }] }, enrollmentKeyFiles: files };
  };
  return { syncs, buildHandlers, provision };
}

async function start(options: Partial<FederationOptions> = {}) {
  const f = fakes();
  const federation = await startFederation({
    memory: true,
    port: 0,
    provinces: ['330000', '440000'],
    syncIntervalSeconds: 60,
    buildHandlers: f.buildHandlers,
    provision: f.provision,
    ...options,
  });
  running.push(federation);
  return { federation, syncs: f.syncs };
}

describe('embedded federation', () => {
  it('writes the state file, 0600 and atomically, once everything answers', async () => {
    const stateFile = join(tempDir(), 'nested', 'state.json');

    const { federation } = await start({ stateFile });

    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(Object.keys(state).sort()).toEqual(
      ['exchangeUrl', 'federationId', 'federationJwks', 'operatorToken', 'pid', 'provinces'].sort(),
    );
    expect(state.pid).toBe(process.pid);
    expect(state).toMatchObject({ federationId: 'fed-test', federationJwks: { keys: [{ kty: 'EC' }] } });
    expect(state.provinces.map((p: { region: string; name: string }) => [p.region, p.name])).toEqual([
      ['330000', 'Zhejiang'],
      ['440000', 'Guangdong'],
    ]);
    for (const p of state.provinces) {
      expect(p.internalToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(existsSync(p.enrollmentKeyFile)).toBe(true);
      expect((await fetch(`${p.url}/v1/codes/verify`, { method: 'POST', body: '{}' })).status).toBe(200);
    }
    expect(state.operatorToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(stateFile, '..'))).toEqual(['state.json']); // no temporary file left behind
    expect(federation.state).toEqual(state);
  });

  it('serves each province on its own node with its own internal token', async () => {
    const { federation } = await start();
    const [zj, gd] = federation.state.provinces;
    const issue = (url: string, token: string) =>
      fetch(`${url}/v1/codes`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });

    const own = await issue(zj.url, zj.internalToken);
    const other = await issue(zj.url, gd.internalToken);
    const operator = await issue(zj.url, federation.state.operatorToken);

    expect(own.status).toBe(200);
    expect(await own.json()).toEqual({ who: '330000', routeKey: 'POST /v1/codes' });
    expect(other.status).toBe(401);
    expect(operator.status).toBe(401);
  });

  it('serves the exchange with the operator token and its extra routes', async () => {
    const { federation } = await start();
    const { exchangeUrl, operatorToken } = federation.state;

    const register = await fetch(`${exchangeUrl}/v1/provinces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorToken}` },
      body: '{}',
    });
    const openapi = await fetch(`${exchangeUrl}/openapi.json`);

    expect(register.status).toBe(200);
    expect(openapi.status).toBe(200);
  });

  it('runs the scheduled sync of every province before reporting ready, with an EventBridge-shaped event', async () => {
    const { syncs } = await start();

    expect(syncs.map((s) => s.region).sort()).toEqual(['330000', '440000']);
    expect(syncs[0].event).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      resources: [
        expect.stringMatching(/^arn:aws:events:local:000000000000:rule\/hcx-province-\d{6}-province-sync$/),
      ],
    });
  });

  it('keeps running the scheduled functions on the interval', async () => {
    const { syncs } = await start({ syncIntervalSeconds: 0.05 });

    const deadline = Date.now() + 5000;
    while (syncs.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    expect(syncs.length).toBeGreaterThanOrEqual(6);
  });

  it('gives the exchange and each province their own table, named after the region', async () => {
    const { federation } = await start();
    const { client, provinces, exchange } = federation.context;
    const names = [exchange.tableName, ...provinces.map((p) => p.tableName)];

    for (const TableName of names) {
      await client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'a' }, sk: { S: 'b' } } }));
    }

    expect(names).toEqual(['hcx-exchange', 'hcx-province-330000', 'hcx-province-440000']);
  });

  it('removes the state file and stops answering when closed', async () => {
    const stateFile = join(tempDir(), 'state.json');
    const { federation } = await start({ stateFile });
    const url = federation.state.exchangeUrl;

    await federation.close();

    expect(existsSync(stateFile)).toBe(false);
    await expect(fetch(`${url}/v1/federation`)).rejects.toThrow();
  });

  it('reuses the data and the tokens on a second start on disk', async () => {
    const dataDir = tempDir();
    const first = (await start({ memory: false, dataDir })).federation;
    const { client, exchange } = first.context;
    await client.send(
      new PutItemCommand({ TableName: exchange.tableName, Item: { pk: { S: 'a' }, sk: { S: 'b' } } }),
    );
    const tokens = first.state;
    await first.close();
    running.splice(running.indexOf(first), 1);

    const second = (await start({ memory: false, dataDir })).federation;
    const item = await second.context.client.send(
      new GetItemCommand({ TableName: 'hcx-exchange', Key: { pk: { S: 'a' }, sk: { S: 'b' } } }),
    );

    expect(item.Item).toBeDefined();
    expect(second.state.operatorToken).toBe(tokens.operatorToken);
    expect(second.state.provinces[0].internalToken).toBe(tokens.provinces[0].internalToken);
    expect(statSync(join(dataDir, 'local-tokens.json')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, 'state.json'))).toBe(true);
  });

  it('refuses a region that is not a province-level code', async () => {
    await expect(start({ provinces: ['330100'] })).rejects.toMatchObject({ name: 'FederationConfigInvalid' });
  });

  it('takes region:SM2 for a province on SM2 and refuses any other algorithm suffix', async () => {
    const { federation } = await start({ provinces: ['330000:SM2', '440000'] });
    expect(federation.context.provinces.map((p) => [p.region, p.alg])).toEqual([
      ['330000', 'SM2'],
      ['440000', 'ES256'],
    ]);
    for (const bad of ['330000:RS256', '330000:sm2', '330000:SM2:x']) {
      await expect(start({ provinces: [bad] })).rejects.toMatchObject({ name: 'FederationConfigInvalid' });
    }
  });

  it('refuses to run a province on SM2 over a data folder holding its ES256 keys', async () => {
    const keysDir = tempDir();
    const es256 = await generateSigningKey('ES256');
    writeFileSync(join(keysDir, '330000-issuer.jwk.json'), JSON.stringify(es256.privateJwk), { mode: 0o600 });
    const context = { keysDir, provinces: [{ region: '330000', alg: 'SM2' }] };
    await expect(buildHandlers(context as never)).rejects.toMatchObject({
      name: 'FederationConfigInvalid',
      message: expect.stringContaining('holds an ES256 key, not SM2'),
    });
  });

  it('refuses a busy port and releases everything it had started', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    const dataDir = tempDir();

    try {
      await expect(start({ memory: false, dataDir, port })).rejects.toMatchObject({
        name: 'FederationConfigInvalid',
      });
      // the data folder's lock was released: a new start on it works
      const again = await start({ memory: false, dataDir });
      expect(again.federation.state.federationId).toBe('fed-test');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('prints where everything runs and a next step that names the state file, never a token', async () => {
    const { federation } = await start();

    const text = summary(federation, { memory: true }).join('\n');

    expect(text).toContain(federation.state.exchangeUrl);
    expect(text).toContain(`${federation.state.provinces[0].url}/v1/codes`);
    expect(text).toContain(`${federation.state.provinces[1].url}/v1/codes/verify`);
    expect(text).toContain(federation.stateFile);
    expect(text).not.toContain(federation.state.operatorToken);
    expect(text).not.toContain(federation.state.provinces[0].internalToken);
  });
});
