/**
 * Issue 19 item 8, against the embedded API Gateway stand-in (functions/embedded/adapter.ts) with
 * handlers built by the real `httpHandler` chain:
 * - the gateway's own 401 / 404 / 405 answers carry the handlers' `nosniff` and `no-store`;
 * - a handler still running when the gateway answered 504 stops before its next log append
 *   (`DEADLINE_EXCEEDED`), so nothing is changed after the caller was told it failed;
 * - each log line names the function it was written for, with two functions of one service in
 *   flight at once (it used to carry whichever function had started last).
 */
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { close, createServiceServer, listen, type LambdaHandler } from '../../functions/embedded/adapter';
import { appendWith, type ExchangeContext } from '../../functions/exchange/service';
import type { ExchangeRepository } from '../../functions/exchange/repository';
import { logger } from '../../functions/aws/observability';
import { httpHandler, json } from '../../functions/http';
import { routesOf } from '../../functions/routes';
import { captureLogs } from '../kit';

const OPERATOR = { token: 'operator-token-0123456789abcdefghijklmnopqrs', name: 'local-operator' };

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => close(s, 100)));
});

async function serve(handlers: Record<string, LambdaHandler>, timeoutMs = 30_000): Promise<string> {
  const server = createServiceServer({
    name: 'exchange',
    routes: routesOf('exchange'),
    handlers,
    principals: { operator: OPERATOR },
    timeoutMs,
  });
  servers.push(server);
  return listen(server, 0);
}

const ok = httpHandler({}, async () => json(200, { ok: true }));

describe("the embedded gateway's own answers", () => {
  it.each([
    ['401 (operator route without its token)', 401, 'UNAUTHORIZED', '/v1/provinces/330000/suspend', 'POST'],
    ['404 (no such route)', 404, 'NOT_FOUND', '/v1/nothing-here', 'GET'],
    ['405 (a route of another method)', 405, 'METHOD_NOT_ALLOWED', '/v1/provinces/330000/suspend', 'GET'],
  ])(
    '%s carries nosniff and no-store like every handler answer',
    async (_name, status, code, path, method) => {
      const url = await serve({ 'exchange-suspend-province': ok, 'exchange-federation': ok });
      const own = await fetch(`${url}${path}`, { method });
      const handled = await fetch(`${url}/v1/federation`);
      expect([own.status, ((await own.json()) as { code: string }).code]).toEqual([status, code]);
      for (const res of [own, handled]) {
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
    },
  );
});

describe('a handler past the gateway timeout', () => {
  it('answers 504, and the handler stops before its log append (DEADLINE_EXCEEDED)', async () => {
    const touched: string[] = [];
    // A repository that records every call: the append must never start.
    const repository = new Proxy({} as ExchangeRepository, {
      get: (_t, name) => async () => {
        touched.push(String(name));
        return undefined;
      },
    });
    const ctx = { repository } as unknown as ExchangeContext;
    let handlerOutcome: unknown;
    const slow = httpHandler({}, async () => {
      await sleep(300);
      await appendWith(ctx, async () => {
        throw new Error('decide must not run');
      });
      return json(200, {});
    });
    const recorded: LambdaHandler = async (event, context) => {
      const res = await slow(event, context);
      handlerOutcome = res;
      return res;
    };
    const url = await serve({ 'exchange-suspend-province': recorded }, 100);

    const res = await fetch(`${url}/v1/provinces/330000/suspend`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR.token}` },
    });
    expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([504, 'GATEWAY_TIMEOUT']);
    while (handlerOutcome === undefined) await sleep(20);

    expect(touched).toEqual([]);
    const outcome = handlerOutcome as { statusCode: number; body: string };
    expect([outcome.statusCode, JSON.parse(outcome.body).code]).toEqual([504, 'DEADLINE_EXCEEDED']);
  });
});

describe('log lines under concurrent requests to two functions of one service', () => {
  it('name the function each line was written for', async () => {
    // publish starts first and logs after revoke has started (and logged); then revoke logs again.
    const publish = httpHandler({}, async () => {
      logger.info('marker', { which: 'publish', step: 1 });
      await sleep(150);
      logger.info('marker', { which: 'publish', step: 2 });
      return json(200, {});
    });
    const revoke = httpHandler({}, async () => {
      await sleep(50);
      logger.info('marker', { which: 'revoke', step: 1 });
      await sleep(200);
      logger.info('marker', { which: 'revoke', step: 2 });
      return json(200, {});
    });
    const url = await serve({ 'exchange-publish-key': publish, 'exchange-revoke-key': revoke });
    const logs = captureLogs();
    try {
      const jose = { method: 'POST', headers: { 'content-type': 'application/jose' }, body: 'x.y.z' };
      await Promise.all([
        fetch(`${url}/v1/provinces/330000/keys`, jose),
        sleep(20).then(() => fetch(`${url}/v1/provinces/330000/keys/${'A'.repeat(43)}/revoke`, jose)),
      ]);
    } finally {
      logs.stop();
    }
    const markers = logs.records().filter((r) => r.message === 'marker');
    expect(markers.map((r) => [r.which, r.step, r.function_name])).toEqual([
      ['publish', 1, 'hcx-exchange-exchange-publish-key'],
      ['revoke', 1, 'hcx-exchange-exchange-revoke-key'],
      ['publish', 2, 'hcx-exchange-exchange-publish-key'],
      ['revoke', 2, 'hcx-exchange-exchange-revoke-key'],
    ]);
  });
});
