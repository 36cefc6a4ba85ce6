/**
 * The exchange unreachable mid-sync: a verifier node syncs through a fake exchange (a real HTTP
 * server in front of the federation's exchange) that closes the socket mid-body, answers 500, hangs
 * past the client timeout, or sends a truncated JWS. Each time the replica stays as it was, the
 * sync status records the failure with a stable code, and verification continues from the last
 * good snapshot; once the exchange behaves, the next sync catches up.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Federation } from '../../functions/embedded/federation';
import { createExchangeClient } from '../../functions/province/exchange-client';
import { HOLDER, issueAt, startTestFederation, type ProvinceState } from '../kit/federation';
import { faultReport, freshProvinceTable, provinceInstance, replicaViolations, scanAll } from './kit';

type Mode = 'pass' | 'reset-mid-body' | '500' | 'hang' | 'truncated';

/** A fake exchange relaying to `target`, misbehaving as `mode` says. */
async function fakeExchange(target: string) {
  let mode: Mode = 'pass';
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    if (mode === 'hang') return; // never answers; the client's timeout ends it
    if (mode === '500') {
      res.writeHead(500, { 'content-type': 'application/problem+json' });
      res.end('{"code":"INTERNAL","status":500}');
      return;
    }
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: { accept: String(req.headers.accept ?? '*/*') },
    });
    const text = await upstream.text();
    const headers = { 'content-type': upstream.headers.get('content-type') ?? 'application/jose' };
    if (mode === 'reset-mid-body') {
      res.writeHead(upstream.status, { ...headers, 'content-length': Buffer.byteLength(text) });
      res.write(text.slice(0, Math.floor(text.length / 2)), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    const body = mode === 'truncated' ? text.slice(0, Math.floor(text.length * 0.8)) : text;
    res.writeHead(upstream.status, { ...headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set: (m: Mode) => {
      mode = m;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let fed: Federation;
let zj: ProvinceState;
let fake: Awaited<ReturnType<typeof fakeExchange>>;
let verifier: Awaited<ReturnType<typeof provinceInstance>>;
let table: string;
const report = faultReport('sync with the exchange failing mid-sync');

beforeAll(async () => {
  fed = await startTestFederation();
  [zj] = fed.state.provinces;
  fake = await fakeExchange(fed.state.exchangeUrl);
  table = await freshProvinceTable(fed, 'faults-verifier');
  // A Guangdong verifier instance on its own table, whose only way to the exchange is the fake.
  verifier = await provinceInstance(fed, {
    region: fed.state.provinces[1].region,
    client: fed.context.client,
    tableName: table,
    exchange: createExchangeClient({ baseUrl: fake.url, timeoutMs: 400 }),
  });
  expect((await verifier.sync()).result).toBe('updated');
}, 60_000);
afterAll(async () => {
  report.print();
  await fake?.close();
  await fed?.close();
});

async function issue(): Promise<{ code: string; codeId: string }> {
  const res = await issueAt(zj, { holder: HOLDER, status: 'green' });
  expect(res.status).toBe(201);
  return (await res.json()) as { code: string; codeId: string };
}

async function revokeAtIssuer(codeId: string): Promise<void> {
  const res = await fetch(`${zj.url}/v1/codes/${codeId}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${zj.internalToken}` },
  });
  expect(res.status).toBe(200);
}

const replica = async () => {
  const items = await scanAll(fed.context.client, table);
  return { meta: items.find((i) => i.sk.S === 'REPLICA'), violations: replicaViolations(items) };
};

describe('the exchange failing mid-sync', () => {
  it.each([
    ['closes the socket mid-body', 'reset-mid-body', 'EXCHANGE_UNAVAILABLE'],
    ['answers 500', '500', 'EXCHANGE_UNAVAILABLE'],
    ['hangs past the client timeout', 'hang', 'EXCHANGE_UNAVAILABLE'],
    ['sends a truncated JWS', 'truncated', 'MALFORMED'],
  ] as const)(
    'keeps the replica and verifies from the last good snapshot when the exchange %s',
    async (what, mode, code) => {
      const done = report.start(`sync, exchange ${what}`);
      const before = await issue();
      const revoked = await issue();
      // Nothing new since the last sync: `unchanged`, or `updated` when a 15-minute re-issue window began
      // meanwhile (the list's issuedAt moved on; real time runs in this federation).
      expect(['unchanged', 'updated']).toContain((await verifier.sync()).result);
      expect((await verifier.verify(revoked.code)).json().result).toBe('valid');
      const held = await replica();
      await revokeAtIssuer(revoked.codeId); // the log moves on: the next sync has a delta to fetch
      fake.set(mode);

      const outcome = await verifier.sync();

      expect([outcome.result, outcome.error]).toEqual(['failed', code]);
      expect(await replica()).toEqual(held);
      const status = (await verifier.registry()).json() as { lastSync: { result: string; error: string } };
      expect([status.lastSync.result, status.lastSync.error]).toEqual(['failed', code]);
      // The last good snapshot: the code issued before still verifies, the revocation is not seen yet.
      expect((await verifier.verify(before.code)).json().result).toBe('valid');
      expect((await verifier.verify(revoked.code)).json().result).toBe('valid');
      fake.set('pass');
      expect((await verifier.sync()).result).toBe('updated');
      const after = (await verifier.verify(revoked.code)).json();
      expect(after.reasons.map((r: { code: string }) => r.code)).toEqual(['CODE_REVOKED']);
      expect((await replica()).violations).toEqual([]);
      done(`sync failed ${code}, recorded; replica unchanged; last snapshot served; next sync caught up`);
    },
  );
});
