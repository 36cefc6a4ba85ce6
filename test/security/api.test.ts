/**
 * SECURITY.md "API and storage", end to end over real HTTP against every route that takes a body:
 * size caps before parsing (413), depth caps, duplicate and prototype keys, invalid UTF-8 (400),
 * wrong content types (415), `additionalProperties: false`; and every refusal is RFC 9457 problem
 * details with a stable code, without stack traces, internal names or echoed input.
 */
import { generateSigningKey } from '../../functions/core/keys';
import { ROUTES } from '../../functions/routes';
import {
  expectProblem,
  HOLDER,
  issue,
  now,
  post,
  request,
  signedRequest,
  startSecurityFederation,
  type Answer,
  type SecurityFederation,
} from './helpers';

let s: SecurityFederation;

beforeAll(async () => {
  s = await startSecurityFederation();
}, 60_000);
afterAll(() => s?.fed.close());

/** A marker planted in inputs: no answer may repeat it. */
const ECHO = 'EchoMarker7q';

interface BodyRoute {
  readonly name: string;
  readonly url: () => string;
  readonly type: string;
  readonly headers: () => Record<string, string>;
  /** Body cap of the route, in bytes (from the route table). */
  readonly cap: number;
}

const exchangeUrl = () => s.fed.state.exchangeUrl;
/** Where to send each route that takes a body, and as whom; type and cap come from the route table. */
const TARGETS: Record<string, Pick<BodyRoute, 'url' | 'headers'>> = {
  'province-verify': { url: () => `${s.gd.url}/v1/codes/verify`, headers: () => ({}) },
  'province-issue': {
    url: () => `${s.zj.url}/v1/codes`,
    headers: () => ({ authorization: `Bearer ${s.zj.internalToken}` }),
  },
  'exchange-register-province': {
    url: () => `${exchangeUrl()}/v1/provinces`,
    headers: () => ({ authorization: `Bearer ${s.fed.state.operatorToken}` }),
  },
  'exchange-publish-key': {
    url: () => `${exchangeUrl()}/v1/provinces/${s.zj.region}/keys`,
    headers: () => ({}),
  },
  'exchange-revoke-key': {
    url: () => `${exchangeUrl()}/v1/provinces/${s.zj.region}/keys/${s.issuer[s.zj.region].kid}/revoke`,
    headers: () => ({}),
  },
  'exchange-revoke-codes': {
    url: () => `${exchangeUrl()}/v1/provinces/${s.zj.region}/code-revocations`,
    headers: () => ({}),
  },
  'exchange-publish-status': {
    url: () => `${exchangeUrl()}/v1/provinces/${s.zj.region}/status-segments`,
    headers: () => ({}),
  },
  'exchange-sunset-province': {
    url: () => `${exchangeUrl()}/v1/provinces/${s.zj.region}/sunset`,
    headers: () => ({}),
  },
  'exchange-province-retention': {
    url: () => `${exchangeUrl()}/v1/provinces/${s.zj.region}/retention`,
    headers: () => ({}),
  },
  'exchange-reenroll-province': {
    url: () => `${exchangeUrl()}/v1/provinces/${s.zj.region}/enrollment-key`,
    headers: () => ({ authorization: `Bearer ${s.fed.state.operatorToken}` }),
  },
};
const bodyRoutes = ROUTES.filter((r) => r.requestType !== undefined);
const allRoutes: BodyRoute[] = bodyRoutes
  .filter((r) => TARGETS[r.fn] !== undefined)
  .map((r) => ({
    name: `${r.method} ${r.path}`,
    type: r.requestType!,
    cap: r.maxBodyBytes!,
    ...TARGETS[r.fn],
  }));
const jsonRoutes = allRoutes.filter((r) => r.type === 'application/json');
const send = (r: BodyRoute, body: string | Uint8Array, type = r.type): Promise<Answer> =>
  post(r.url(), body, type, r.headers());
const byName = (routes: BodyRoute[]) => routes.map((r) => [r.name, r] as const);

describe('request bodies', () => {
  it('covers every route of the route table that takes a body, each with a cap', () => {
    expect(Object.keys(TARGETS).sort()).toEqual(bodyRoutes.map((r) => r.fn).sort());
    for (const r of allRoutes) expect(r.cap).toBeGreaterThan(0);
  });

  it.each(byName(allRoutes))(
    '%s refuses a body one byte over its cap with 413 before parsing it',
    async (_n, r) => {
      const body =
        r.type === 'application/json' ? `{"x":"${ECHO}${'a'.repeat(r.cap)}"}` : `${ECHO}${'a'.repeat(r.cap)}`;
      expectProblem(await send(r, body), 413, 'REQUEST_TOO_LARGE', [ECHO]);
    },
  );

  it.each(byName(allRoutes))('%s refuses a 2 MB body at the HTTP layer with 413', async (_n, r) => {
    expectProblem(await send(r, Buffer.alloc(2 * 1024 * 1024, 0x41)), 413, 'REQUEST_TOO_LARGE');
  });

  it.each(byName(jsonRoutes))('%s refuses deeply nested JSON with 400', async (_n, r) => {
    const body = `{"code":${'['.repeat(500)}${']'.repeat(500)}}`;
    expectProblem(await send(r, body), 400, 'REQUEST_INVALID');
  });

  it.each(byName(jsonRoutes))('%s refuses duplicate member names with 400', async (_n, r) => {
    expectProblem(await send(r, `{"code":"${ECHO}","code":"HCX1:x"}`), 400, 'REQUEST_INVALID', [ECHO]);
  });

  it.each(
    jsonRoutes.flatMap((r) =>
      ['__proto__', 'constructor', 'prototype'].map((key) => [r.name, key, r] as const),
    ),
  )('%s refuses a %s member with 400', async (_n, key, r) => {
    expectProblem(await send(r, `{"${key}":{"admin":true},"code":"${ECHO}"}`), 400, 'REQUEST_INVALID', [
      ECHO,
    ]);
  });

  it.each(byName(jsonRoutes))('%s refuses members its schema does not name with 400', async (_n, r) => {
    const res = await send(r, JSON.stringify({ code: 'HCX1:a.b.c', unexpected: ECHO }));
    expectProblem(res, 400, 'REQUEST_INVALID', [ECHO]);
  });

  /** A body the route would accept, but for two bytes that are not UTF-8 (0xff 0xfe). */
  const withInvalidUtf8 = async (r: BodyRoute): Promise<Buffer> => {
    const text =
      r.name === 'POST /v1/codes/verify'
        ? JSON.stringify({ code: 'HCX1:@@' })
        : r.name === 'POST /v1/codes'
          ? JSON.stringify({ holder: { ...HOLDER, name: '张@@' }, status: 'green' })
          : r.name === 'POST /v1/provinces'
            ? JSON.stringify({
                region: '110000',
                name: '北京@@',
                enrollmentKey: (await generateSigningKey()).publicJwk,
              })
            : 'eyJhbGciOiJFUzI1NiJ9.@@.AAAA';
    const [before, after] = text.split('@@');
    return Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]);
  };

  it.each(byName(allRoutes))(
    '%s refuses a body that would be accepted but for invalid UTF-8 with 400',
    async (_n, r) => {
      expectProblem(await send(r, await withInvalidUtf8(r)), 400, 'REQUEST_INVALID');
    },
  );

  it.each(byName(allRoutes))(
    '%s refuses a lone surrogate escaped in JSON or sent raw with 400',
    async (_n, r) => {
      const body =
        r.type === 'application/json' ? '{"code":"HCX1:\\ud800"}' : Buffer.from([0xed, 0xa0, 0x80]);
      expectProblem(await send(r, body), 400, 'REQUEST_INVALID');
    },
  );

  it.each(
    allRoutes.flatMap((r) =>
      [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        r.type === 'application/json' ? 'application/jose' : 'application/json',
        'application/json-patch+json',
      ].map((type) => [r.name, type, r] as const),
    ),
  )('%s refuses content type %s with 415', async (_n, type, r) => {
    expectProblem(await send(r, '{"code":"HCX1:a.b.c"}', type), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it.each(byName(allRoutes))('%s refuses a body without a content type with 415', async (_n, r) => {
    const res = await request(r.url(), {
      method: 'POST',
      body: new Uint8Array(Buffer.from('{}')),
      headers: r.headers(),
    });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it.each(byName(allRoutes))('%s refuses an empty body with 400', async (_n, r) => {
    expectProblem(await send(r, ''), 400, 'REQUEST_INVALID');
  });

  it('takes the content type case-insensitively and with a charset parameter (the accepted form is not brittle)', async () => {
    const res = await post(
      `${s.gd.url}/v1/codes/verify`,
      '{"code":"HCX1:a.b.c"}',
      'Application/JSON; charset=utf-8',
    );
    expect(res.status).toBe(200);
  });
});

describe('errors', () => {
  it('answers an unknown path with 404 problem details that do not repeat the path', async () => {
    expectProblem(await request(`${s.gd.url}/v1/${ECHO}`), 404, 'NOT_FOUND', [ECHO]);
    expectProblem(await request(`${s.fed.state.exchangeUrl}/v1/${ECHO}/x`), 404, 'NOT_FOUND', [ECHO]);
  });

  it('answers a wrong method with 405 problem details and an Allow header', async () => {
    const res = await request(`${s.gd.url}/v1/registry`, {
      method: 'PUT',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).toBe('GET');
  });

  it.each([
    ['no token', undefined],
    ['a wrong token', `Bearer ${ECHO}`],
    ['another province’s token', 'gd'],
    ['a malformed header', `Basic ${ECHO}`],
  ])('answers an internal route called with %s with the one 401', async (_what, auth) => {
    const authorization = auth === 'gd' ? `Bearer ${s.gd.internalToken}` : auth;
    const res = await post(
      `${s.zj.url}/v1/codes`,
      '{}',
      'application/json',
      authorization ? { authorization } : {},
    );
    expectProblem(res, 401, 'UNAUTHORIZED', [ECHO]);
  });

  it('answers an operator route called with a province token with 401', async () => {
    const res = await post(`${s.fed.state.exchangeUrl}/v1/provinces`, '{}', 'application/json', {
      authorization: `Bearer ${s.zj.internalToken}`,
    });
    expectProblem(res, 401, 'UNAUTHORIZED');
  });

  it('refuses malformed path parameters and query strings with 400 and without echoing them', async () => {
    const ex = s.fed.state.exchangeUrl;
    expectProblem(await request(`${ex}/v1/provinces/${ECHO}/jwks.json`), 400, 'REQUEST_INVALID', [ECHO]);
    expectProblem(await request(`${ex}/v1/provinces/%E0%A4%A/jwks.json`), 400, 'REQUEST_INVALID');
    expectProblem(await request(`${ex}/v1/trust-list?since=${ECHO}`), 400, 'REQUEST_INVALID', [ECHO]);
    expectProblem(await request(`${ex}/v1/log?limit=-1${ECHO}`), 400, 'REQUEST_INVALID', [ECHO]);
    const zj = s.zj;
    const get = await request(`${zj.url}/v1/codes/${ECHO}'%20OR%201=1`, {
      headers: { authorization: `Bearer ${zj.internalToken}` },
    });
    expect([400, 404]).toContain(get.status);
    expectProblem(get, get.status, get.status === 400 ? 'REQUEST_INVALID' : 'NOT_FOUND', [ECHO]);
  });

  it('never names a holder, an ID number or the code in a refusal of an issue request', async () => {
    const res = await post(
      `${s.zj.url}/v1/codes`,
      JSON.stringify({
        holder: { name: '李四', idType: '10', idNumber: '110105194912310021' },
        status: 'green',
      }),
      'application/json',
      { authorization: `Bearer ${s.zj.internalToken}` },
    );
    expectProblem(res, 400, 'REQUEST_INVALID', ['李四', '110105194912310021']);
  });

  it('answers a refused signed request without echoing any of its content', async () => {
    const jws = await signedRequest(s.enrollment[s.zj.region], s.fed.state.federationId, s.zj.region, {
      op: 'code.revoke',
      codes: [{ jti: ECHO + 'aaaaaaaaaaaaaaaaaaaa', exp: now() + 60 }],
      extra: ECHO,
    });
    const res = await post(
      `${s.fed.state.exchangeUrl}/v1/provinces/${s.zj.region}/code-revocations`,
      jws,
      'application/jose',
    );
    expect(res.status).toBe(400);
    expectProblem(res, 400, 'REQUEST_INVALID', [ECHO, jws.slice(0, 40)]);
  });

  it('serves every success with its declared type and nosniff, not only errors', async () => {
    const issued = await issue(s.zj);
    const res = await post(`${s.gd.url}/v1/codes/verify`, JSON.stringify({ code: issued.code }));
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
