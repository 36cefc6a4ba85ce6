import { request } from 'node:http';
import type { Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithIAMAuthorizer, Context } from 'aws-lambda';
import { close, createServiceServer, listen, type LambdaHandler } from '../../functions/embedded/adapter';
import { routesOf } from '../../functions/routes';

const OPERATOR = { token: 'operator-token-0123456789abcdefghijklmnopqrs', name: 'local-operator' };
const INTERNAL = { token: 'internal-token-0123456789abcdefghijklmnopqrs', name: 'local-province-330000' };

/** A fake handler that records what it was called with and answers with a fixed result. */
function recorder(result: Awaited<ReturnType<LambdaHandler>> = { statusCode: 200, body: 'ok' }) {
  const calls: { event: APIGatewayProxyEventV2; context: Context }[] = [];
  const handler: LambdaHandler = async (event, context) => {
    calls.push({ event, context });
    return result;
  };
  return { calls, handler };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => close(s, 100)));
});

async function serve(
  service: 'exchange' | 'province',
  handlers: Record<string, LambdaHandler>,
  extra: Partial<Parameters<typeof createServiceServer>[0]> = {},
): Promise<string> {
  const server = createServiceServer({
    name: service === 'exchange' ? 'exchange' : 'province-330000',
    routes: routesOf(service),
    handlers,
    principals: service === 'exchange' ? { operator: OPERATOR } : { internal: INTERNAL },
    ...extra,
  });
  servers.push(server);
  return listen(server, 0);
}

async function problemCode(res: Response): Promise<string> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return ((await res.json()) as { code: string }).code;
}

describe('embedded adapter: payload 2.0 events', () => {
  it('builds the event API Gateway sends: route key, decoded path parameters, query, headers, cookies', async () => {
    const rec = recorder();
    const url = await serve('exchange', { 'exchange-revoke-key': rec.handler });

    await fetch(`${url}/v1/provinces/330000/keys/a%2Fb%20c/revoke?x=1&y=2&x=3&empty=`, {
      method: 'POST',
      headers: { 'X-Custom': 'Value', cookie: 'a=1; b=2', 'content-type': 'application/json' },
      body: '{"k":"v"}',
    });

    expect(rec.calls).toHaveLength(1);
    const { event, context } = rec.calls[0];
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/provinces/{region}/keys/{kid}/revoke',
      rawPath: '/v1/provinces/330000/keys/a%2Fb%20c/revoke',
      rawQueryString: 'x=1&y=2&x=3&empty=',
      queryStringParameters: { x: '1,3', y: '2', empty: '' },
      pathParameters: { region: '330000', kid: 'a/b c' },
      cookies: ['a=1', 'b=2'],
      body: '{"k":"v"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local-exchange',
        routeKey: 'POST /v1/provinces/{region}/keys/{kid}/revoke',
        stage: '$default',
        http: { method: 'POST', path: '/v1/provinces/330000/keys/a%2Fb%20c/revoke', protocol: 'HTTP/1.1' },
      },
    });
    expect(event.headers['x-custom']).toBe('Value');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.http.sourceIp).toMatch(/127\.0\.0\.1/);
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(5000);
    expect(context.awsRequestId).toBe(event.requestContext.requestId);
    expect(context.functionName).toBe('hcx-exchange-exchange-revoke-key');
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });

  it('hands a non-text body to the handler base64-encoded, as API Gateway does for application/jose', async () => {
    const rec = recorder();
    const url = await serve('exchange', { 'exchange-publish-key': rec.handler });
    const jws = 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln';

    await fetch(`${url}/v1/provinces/330000/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: jws,
    });

    const { event } = rec.calls[0];
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body as string, 'base64').toString('utf8')).toBe(jws);
  });

  it('leaves out body, query and path parameters when the request has none', async () => {
    const rec = recorder();
    const url = await serve('exchange', { 'exchange-federation': rec.handler });

    await fetch(`${url}/v1/federation`);

    const { event } = rec.calls[0];
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.pathParameters).toBeUndefined();
    expect(event.rawQueryString).toBe('');
  });

  it('never takes a literal segment for a parameter: the template first, then the method', async () => {
    const verify = recorder();
    const get = recorder();
    const url = await serve('province', {
      'province-verify': verify.handler,
      'province-get-code': get.handler,
    });
    const auth = { authorization: `Bearer ${INTERNAL.token}` };

    await fetch(`${url}/v1/codes/verify`, { method: 'POST', body: '{}' });
    const asGet = await fetch(`${url}/v1/codes/verify`, { headers: auth });
    const asPut = await fetch(`${url}/v1/codes/verify`, { method: 'PUT', headers: auth, body: '{}' });
    await fetch(`${url}/v1/codes/abc`, { headers: auth });

    expect(verify.calls).toHaveLength(1);
    expect([asGet.status, asGet.headers.get('allow'), await problemCode(asGet)]).toEqual([
      405,
      'POST',
      'METHOD_NOT_ALLOWED',
    ]);
    expect([asPut.status, asPut.headers.get('allow')]).toEqual([405, 'POST']);
    expect(get.calls.map((c) => c.event.pathParameters)).toEqual([{ codeId: 'abc' }]);
  });

  it("writes back the handler's status, headers, cookies and base64 body", async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    const rec = recorder({
      statusCode: 201,
      headers: { 'Content-Type': 'image/png', etag: '"v1"' },
      cookies: ['s=1; HttpOnly'],
      body: png.toString('base64'),
      isBase64Encoded: true,
    });
    const url = await serve('exchange', { 'exchange-federation': rec.handler });

    const res = await fetch(`${url}/v1/federation`);

    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('etag')).toBe('"v1"');
    expect(res.headers.get('set-cookie')).toBe('s=1; HttpOnly');
    expect(res.headers.get('apigw-requestid')).toBe(rec.calls[0].event.requestContext.requestId);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(png);
  });

  it('answers 200 with JSON when a handler returns a bare object, as payload 2.0 allows', async () => {
    const url = await serve('exchange', { 'exchange-federation': async () => ({ federation: 'f' }) });

    const res = await fetch(`${url}/v1/federation`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ federation: 'f' });
  });

  it('serves extra routes such as /openapi.json', async () => {
    const url = await serve(
      'exchange',
      {},
      {
        extraRoutes: {
          '/openapi.json': () => ({
            statusCode: 200,
            headers: { 'content-type': 'application/json' },
            body: '{"openapi":"3.1.0"}',
          }),
        },
      },
    );

    const res = await fetch(`${url}/openapi.json`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ openapi: '3.1.0' });
  });
});

describe('embedded adapter: what API Gateway refuses before a handler runs', () => {
  it('answers 404 NOT_FOUND for a path no route has', async () => {
    const url = await serve('exchange', {});

    const res = await fetch(`${url}/v1/nothing-here`);

    expect(res.status).toBe(404);
    expect(await problemCode(res)).toBe('NOT_FOUND');
  });

  it('answers 405 METHOD_NOT_ALLOWED with Allow for a known path and a wrong method', async () => {
    const url = await serve('exchange', {});

    const res = await fetch(`${url}/v1/provinces`, { method: 'DELETE' });

    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(await problemCode(res)).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers 413 REQUEST_TOO_LARGE for a declared length over the cap, without calling the handler', async () => {
    const rec = recorder();
    const url = await serve('province', { 'province-verify': rec.handler }, { maxBodyBytes: 1024 });

    const res = await fetch(`${url}/v1/codes/verify`, { method: 'POST', body: 'x'.repeat(2048) });

    expect(res.status).toBe(413);
    expect(await problemCode(res)).toBe('REQUEST_TOO_LARGE');
    expect(rec.calls).toHaveLength(0);
  });

  it('answers 413 REQUEST_TOO_LARGE for a chunked body that grows over the cap', async () => {
    const rec = recorder();
    const url = await serve('province', { 'province-verify': rec.handler }, { maxBodyBytes: 1024 });

    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}/v1/codes/verify`, { method: 'POST' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write('y'.repeat(512)); // no content-length: chunked
      req.end();
    });

    expect(status).toBe(413);
    expect(JSON.parse(body).code).toBe('REQUEST_TOO_LARGE');
    expect(rec.calls).toHaveLength(0);
  });

  it('answers 400 REQUEST_INVALID for a path parameter that is not valid percent-encoding', async () => {
    const rec = recorder();
    const url = await serve('exchange', { 'exchange-province-jwks': rec.handler });

    const res = await fetch(`${url}/v1/provinces/%E0%A4%A/jwks.json`);

    expect(res.status).toBe(400);
    expect(await problemCode(res)).toBe('REQUEST_INVALID');
    expect(rec.calls).toHaveLength(0);
  });

  it('answers 501 NOT_IMPLEMENTED for a route whose handler is not wired', async () => {
    const url = await serve('exchange', {});

    const res = await fetch(`${url}/v1/trust-list`);

    expect(res.status).toBe(501);
    expect(await problemCode(res)).toBe('NOT_IMPLEMENTED');
  });

  it('answers a generic 500 INTERNAL when a handler throws, without its message', async () => {
    const url = await serve('exchange', {
      'exchange-federation': async () => {
        throw new Error('secret internal detail');
      },
    });

    const res = await fetch(`${url}/v1/federation`);
    const text = await res.text();

    expect(res.status).toBe(500);
    expect(JSON.parse(text).code).toBe('INTERNAL');
    expect(text).not.toContain('secret');
  });

  it('answers 504 GATEWAY_TIMEOUT when a handler runs past the time limit', async () => {
    const url = await serve(
      'exchange',
      { 'exchange-federation': () => new Promise((r) => setTimeout(() => r({ statusCode: 200 }), 500)) },
      { timeoutMs: 50 },
    );

    const res = await fetch(`${url}/v1/federation`);

    expect(res.status).toBe(504);
    expect(await problemCode(res)).toBe('GATEWAY_TIMEOUT');
  });
});

describe('embedded adapter: the IAM authorizer stand-in', () => {
  it.each([
    ['no authorization header', undefined],
    ['a wrong token', 'Bearer wrong-token'],
    ["the other kind's token", `Bearer ${OPERATOR.token}`],
    ['the right token without the Bearer scheme', INTERNAL.token],
    ['a token with a suffix', `Bearer ${INTERNAL.token}x`],
  ])('answers 401 UNAUTHORIZED to an internal route with %s and never calls the handler', async (_, auth) => {
    const rec = recorder();
    const url = await serve('province', { 'province-issue': rec.handler });

    const res = await fetch(`${url}/v1/codes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: '{}',
    });

    expect(res.status).toBe(401);
    expect(await problemCode(res)).toBe('UNAUTHORIZED');
    expect(rec.calls).toHaveLength(0);
  });

  it('fills requestContext.authorizer.iam for the right token and keeps the token from the handler', async () => {
    const rec = recorder();
    const url = await serve('exchange', { 'exchange-register-province': rec.handler });

    const res = await fetch(`${url}/v1/provinces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR.token}` },
      body: '{}',
    });

    expect(res.status).toBe(200);
    const event = rec.calls[0].event as APIGatewayProxyEventV2WithIAMAuthorizer;
    expect(event.requestContext.authorizer.iam).toMatchObject({
      accountId: '000000000000',
      userArn: 'arn:aws:iam::000000000000:user/local-operator',
      cognitoIdentity: null,
    });
    expect(event.requestContext.authorizer.iam.callerId).toMatch(/^AIDA[0-9A-F]+$/);
    expect(event.headers.authorization).toBeUndefined();
    expect(JSON.stringify(event)).not.toContain(OPERATOR.token);
  });

  it('answers 401 UNAUTHORIZED to an operator route when the instance has no operator', async () => {
    const rec = recorder();
    const url = await serve('exchange', { 'exchange-register-province': rec.handler }, { principals: {} });

    const res = await fetch(`${url}/v1/provinces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR.token}` },
      body: '{}',
    });

    expect(res.status).toBe(401);
    expect(rec.calls).toHaveLength(0);
  });

  it('lets public and signed routes through without a token, the Authorization header untouched', async () => {
    const rec = recorder();
    const url = await serve('exchange', { 'exchange-publish-key': rec.handler });

    const res = await fetch(`${url}/v1/provinces/330000/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose', authorization: 'Bearer anything' },
      body: 'a.b.c',
    });

    expect(res.status).toBe(200);
    expect(rec.calls[0].event.headers.authorization).toBe('Bearer anything');
    expect(rec.calls[0].event.requestContext).not.toHaveProperty('authorizer');
  });

  it('never writes a token or a body into the log', async () => {
    const lines: string[] = [];
    const url = await serve(
      'province',
      {
        'province-issue': async () => {
          throw new Error('boom');
        },
      },
      { log: (message, fields) => lines.push(JSON.stringify({ message, ...fields })) },
    );

    await fetch(`${url}/v1/codes`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong-token' },
      body: 'B0DY',
    });
    await fetch(`${url}/v1/codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INTERNAL.token}` },
      body: 'B0DY',
    });

    expect(lines.length).toBeGreaterThanOrEqual(2);
    const all = lines.join('\n');
    for (const secret of ['wrong-token', INTERNAL.token, 'B0DY', 'boom']) expect(all).not.toContain(secret);
  });
});
