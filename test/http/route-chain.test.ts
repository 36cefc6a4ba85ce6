/**
 * The route table feeds the handler chain (functions/http/handler.ts): the body type and cap, the
 * cache policy and success content type, and the query parameters a handler reads all come from
 * functions/routes.ts; `handlerEntry` says where each function's code is.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { httpHandler, jose, json, queryEnum, queryInteger } from '../../functions/http';
import {
  functionsOf,
  handlerEntry,
  routeOf,
  ROUTES,
  SCHEDULED,
  type RouteDefinition,
} from '../../functions/routes';
import { apiEvent, lambdaContext } from '../kit';

const ROOT = path.join(__dirname, '..', '..');

function problemCode(body: string | undefined): unknown {
  return (JSON.parse(body ?? '{}') as { code?: unknown }).code;
}

describe('the route table', () => {
  it('names every handler file, and each exists', () => {
    for (const def of [...ROUTES, ...SCHEDULED]) {
      const entry = handlerEntry(def);
      expect(entry).toBe(`functions/${def.service}/handlers/${def.fn.slice(def.service.length + 1)}.ts`);
      expect([def.fn, existsSync(path.join(ROOT, entry))]).toEqual([def.fn, true]);
    }
    expect(functionsOf('province').map((f) => f.fn)).toContain('province-sync');
  });

  it('refuses a function not named <service>-<name>', () => {
    expect(() => handlerEntry({ service: 'exchange', fn: 'province-issue' })).toThrow(/exchange-<name>/);
    expect(() => handlerEntry({ service: 'province', fn: 'province-' })).toThrow(/province-<name>/);
    expect(() => routeOf('province-nothing')).toThrow(/no route province-nothing/);
  });

  it('gives every route that takes a body a cap', () => {
    for (const r of ROUTES.filter((x) => x.requestType))
      expect([r.fn, r.maxBodyBytes! > 0]).toEqual([r.fn, true]);
  });
});

describe('httpHandler({ route })', () => {
  const route: RouteDefinition = {
    service: 'exchange',
    method: 'POST',
    path: '/v1/things',
    fn: 'exchange-things',
    auth: 'public',
    summary: 'test route',
    requestType: 'application/jose',
    maxBodyBytes: 64,
    responseType: 'application/jwk-set+json',
    cacheControl: 'public, max-age=60',
    successStatus: 200,
  };
  const handler = httpHandler<string>({ route }, async (event) =>
    event.parsed === 'fail' ? Promise.reject(new Error('boom')) : json(200, { keys: [] }),
  );
  const post = (body: string, type = 'application/jose') =>
    handler(
      apiEvent({ method: 'POST', path: '/v1/things', body, headers: { 'content-type': type } }),
      lambdaContext(),
    );

  it("takes the route's cap (413 REQUEST_TOO_LARGE one byte over) and content type (415)", async () => {
    expect((await post('a'.repeat(64))).statusCode).toBe(200);
    const over = await post('a'.repeat(65));
    expect([over.statusCode, problemCode(over.body)]).toEqual([413, 'REQUEST_TOO_LARGE']);
    const wrong = await post('{}', 'application/json');
    expect([wrong.statusCode, problemCode(wrong.body)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it("answers a success with the route's cache policy and content type, a problem with no-store", async () => {
    const ok = await post('x');
    expect(ok.headers).toMatchObject({
      'cache-control': 'public, max-age=60',
      'content-type': route.responseType,
    });
    const failed = await post('fail');
    expect([failed.statusCode, failed.headers['cache-control']]).toEqual([500, 'no-store']);
  });

  it('keeps a cache-control the handler chose', async () => {
    const own = httpHandler({ route: { ...route, requestType: undefined } }, async () =>
      jose(200, 'a.b.c', { 'cache-control': 'no-cache' }),
    );
    const res = await own(apiEvent({ method: 'GET', path: '/v1/things' }), lambdaContext());
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('refuses body options beside a route (one source), and a body route without a cap', () => {
    expect(() =>
      httpHandler({ route, body: { types: ['application/json'] } }, async () => json(200, {})),
    ).toThrow(TypeError);
    expect(() =>
      httpHandler({ route: { ...route, maxBodyBytes: undefined } }, async () => json(200, {})),
    ).toThrow(/maxBodyBytes/);
  });
});

describe('query parameters from the route table', () => {
  const log = routeOf('exchange-log');
  const registry = routeOf('province-registry');
  const get = (query: Record<string, string>) =>
    apiEvent({ method: 'GET', path: '/v1/log', queryStringParameters: query });

  it('reads declared integers with their default and range', () => {
    expect(queryInteger(get({}), log, 'limit')).toBe(100);
    expect(queryInteger(get({ limit: '1000', since: '7' }), log, 'limit')).toBe(1000);
    expect(queryInteger(get({ since: '7' }), log, 'since')).toBe(7);
    expect(queryInteger(get({}), log, 'since')).toBeUndefined();
  });

  it.each([
    ['limit', '0'],
    ['limit', '1001'],
    ['limit', '-1'],
    ['since', '1e3'],
    ['since', '1234567890123'],
  ])('refuses %s=%s with 400 REQUEST_INVALID', (name, value) => {
    expect(() => queryInteger(get({ [name]: value }), log, name)).toThrow(
      expect.objectContaining({ code: 'REQUEST_INVALID' }),
    );
  });

  it('reads declared enums, refusing other values', () => {
    expect(queryEnum(get({ audit: 'true' }), registry, 'audit')).toBe('true');
    expect(() => queryEnum(get({ audit: 'yes' }), registry, 'audit')).toThrow(
      expect.objectContaining({ code: 'REQUEST_INVALID' }),
    );
  });

  it('refuses to read a parameter the route does not declare (a programming error)', () => {
    expect(() => queryInteger(get({ page: '1' }), log, 'page')).toThrow(TypeError);
    expect(() => queryEnum(get({ limit: '1' }), log, 'limit')).toThrow(TypeError);
  });
});
