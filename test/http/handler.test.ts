import { RequestInvalid, ResourceNotFound } from '../../functions/core/errors';
import { isKid, isProvinceRegion } from '../../functions/core/schemas/validators';
import { logger } from '../../functions/aws/observability';
import {
  callerIdentity,
  httpHandler,
  jose,
  json,
  lazyHandler,
  noContent,
  pathParam,
  queryParam,
  type HttpEvent,
} from '../../functions/http';
import { apiEvent, captureLogs, lambdaContext } from '../kit';

interface Holder {
  name: string;
  idNumber: string;
}

const isHolder = (v: unknown): Holder => {
  const h = v as Holder;
  if (typeof h?.name === 'string' && typeof h?.idNumber === 'string') return h;
  throw new RequestInvalid('/: required');
};

const PERSONAL = { name: '张三丰', idNumber: '11010519491231002X' };

function postJson(body: object, headers: Record<string, string> = {}) {
  return apiEvent({ method: 'POST', path: '/v1/codes', body, headers });
}

describe('httpHandler', () => {
  it('runs the route with the validated body and adds the security headers', async () => {
    const handler = httpHandler<Holder>(
      { body: { types: ['application/json'], maxBytes: 1024 }, schema: isHolder },
      async (event) => json(201, { initial: event.parsed.name.slice(0, 1) }),
    );
    const response = await handler(postJson(PERSONAL), lambdaContext());
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body ?? '')).toEqual({ initial: '张' });
    expect(response.headers).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
  });

  it.each([
    [
      'an unsupported content type',
      postJson(PERSONAL, { 'content-type': 'text/plain' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['an oversized body', postJson({ ...PERSONAL, pad: 'x'.repeat(2000) }), 413, 'REQUEST_TOO_LARGE'],
    [
      'a duplicate key',
      apiEvent({
        method: 'POST',
        path: '/v1/codes',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"a","name":"b","idNumber":"1"}',
      }),
      400,
      'REQUEST_INVALID',
    ],
    ['a body the schema refuses', postJson({ name: 'x' }), 400, 'REQUEST_INVALID'],
  ])('answers %s with a problem response', async (_case, event, status, code) => {
    const impl = jest.fn(async () => noContent());
    const handler = httpHandler(
      { body: { types: ['application/json'], maxBytes: 1024 }, schema: isHolder },
      impl,
    );
    const response = await handler(event, lambdaContext());
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body ?? '')).toMatchObject({ status, code });
    expect(impl).not.toHaveBeenCalled();
  });

  it('maps an HcxError thrown by the route to its problem response', async () => {
    const handler = httpHandler({}, async () => {
      throw new ResourceNotFound();
    });
    const response = await handler(apiEvent({ method: 'GET', path: '/v1/codes/{codeId}' }), lambdaContext());
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ code: 'NOT_FOUND' });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('leaves event.parsed undefined on a route without body', async () => {
    const handler = httpHandler({}, async (event: HttpEvent<undefined>) =>
      json(200, { parsed: event.parsed ?? null }),
    );
    const response = await handler(apiEvent({ method: 'GET', path: '/v1/things' }), lambdaContext());
    expect(JSON.parse(response.body ?? '')).toEqual({ parsed: null });
  });

  it('refuses a schema without body options', () => {
    expect(() => httpHandler({ schema: isHolder }, async () => noContent())).toThrow(TypeError);
  });

  it('logs no body content, name or ID number, whatever the outcome', async () => {
    const handler = httpHandler<Holder>(
      { body: { types: ['application/json'], maxBytes: 1024 }, schema: isHolder },
      async (event) => {
        // A careless route logging the whole body: the redaction safeguard must catch it.
        logger.info('issuing', { body: event.parsed, holder: event.parsed, idNumber: event.parsed.idNumber });
        throw new Error(`cannot issue for ${event.parsed.idNumber}`);
      },
    );
    const logs = captureLogs();
    const failed = await handler(
      postJson(PERSONAL, { authorization: 'Bearer s3cr3t-token' }),
      lambdaContext(),
    );
    const refused = await handler(postJson({ ...PERSONAL, extra: 'x'.repeat(2000) }), lambdaContext());
    const invalid = await handler(
      apiEvent({
        method: 'POST',
        path: '/v1/codes',
        headers: { 'content-type': 'application/json' },
        body: `{"name":"${PERSONAL.name}","name":"x"}`,
      }),
      lambdaContext(),
    );
    logs.stop();
    expect([failed.statusCode, refused.statusCode, invalid.statusCode]).toEqual([500, 413, 400]);
    expect(logs.lines.length).toBeGreaterThanOrEqual(4);
    const text = logs.text();
    for (const secret of [PERSONAL.name, PERSONAL.idNumber, 's3cr3t-token'])
      expect(text).not.toContain(secret);
    for (const r of [failed, refused, invalid]) {
      expect(r.body).not.toContain(PERSONAL.name);
      expect(r.body).not.toContain(PERSONAL.idNumber);
    }
  });

  it('injects the Lambda context into the log lines', async () => {
    const handler = httpHandler({}, async () => {
      logger.info('handled');
      return noContent();
    });
    const logs = captureLogs();
    await handler(
      apiEvent({ method: 'GET', path: '/v1/things' }),
      lambdaContext({ functionName: 'hcx-verify' }),
    );
    logs.stop();
    expect(logs.records()).toEqual([
      expect.objectContaining({ message: 'handled', function_name: 'hcx-verify' }),
    ]);
  });
});

describe('lazyHandler', () => {
  it('builds the handler on the first invocation only', async () => {
    const factory = jest.fn(() => httpHandler({}, async () => noContent()));
    const handler = lazyHandler(factory);
    expect(factory).not.toHaveBeenCalled();
    await handler(apiEvent({ method: 'GET', path: '/v1/things' }), lambdaContext());
    await handler(apiEvent({ method: 'GET', path: '/v1/things' }), lambdaContext());
    expect(factory).toHaveBeenCalledTimes(1);
  });

  it('retries a failed build on the next invocation', async () => {
    const factory = jest
      .fn()
      .mockImplementationOnce(() => {
        throw new Error('TABLE_NAME is not set');
      })
      .mockImplementation(() => httpHandler({}, async () => noContent()));
    const handler = lazyHandler(factory);
    await expect(handler(apiEvent({ method: 'GET', path: '/v1/x' }), lambdaContext())).rejects.toThrow();
    const response = await handler(apiEvent({ method: 'GET', path: '/v1/x' }), lambdaContext());
    expect(response.statusCode).toBe(204);
  });
});

describe('response helpers', () => {
  it('builds a JSON response', () => {
    expect(json(200, { a: 1 }, { etag: '"v1"' })).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json', etag: '"v1"' },
      body: '{"a":1}',
    });
  });

  it('builds an application/jose response', () => {
    expect(jose(200, 'a.b.c')).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/jose' },
      body: 'a.b.c',
    });
  });

  it('builds a 204 without body', () => {
    expect(noContent()).toEqual({ statusCode: 204, headers: {} });
  });
});

describe('pathParam and queryParam', () => {
  const event = apiEvent({
    method: 'GET',
    path: '/v1/provinces/{region}/jwks.json',
    pathParameters: { region: '330000' },
    queryStringParameters: { since: '12', limit: 'many' },
  });

  it('returns a path parameter matching its pattern in full', () => {
    expect(pathParam(event, 'region', /\d{6}/)).toBe('330000');
  });

  it('refuses a path parameter matching only in part with REQUEST_INVALID', () => {
    expect(() => pathParam(event, 'region', /\d{2}/)).toThrow(
      expect.objectContaining({ code: 'REQUEST_INVALID' }),
    );
  });

  it('refuses a missing path parameter with REQUEST_INVALID', () => {
    expect(() => pathParam(event, 'kid', () => true)).toThrow(
      expect.objectContaining({ code: 'REQUEST_INVALID' }),
    );
  });

  it('checks a path parameter with a compiled validator', () => {
    expect(pathParam(event, 'region', isProvinceRegion)).toBe('330000');
    expect(() => pathParam(event, 'region', isKid)).toThrow(
      expect.objectContaining({ code: 'REQUEST_INVALID' }),
    );
  });

  it('returns undefined for an absent query parameter and refuses an invalid one', () => {
    expect(queryParam(event, 'page', /\d+/)).toBeUndefined();
    expect(queryParam(event, 'since', /\d+/)).toBe('12');
    expect(() => queryParam(event, 'limit', /\d+/)).toThrow(
      expect.objectContaining({ code: 'REQUEST_INVALID' }),
    );
  });
});

describe('callerIdentity', () => {
  it('returns the IAM user ARN API Gateway authorized', () => {
    const arn = 'arn:aws:iam::123456789012:user/operator';
    expect(callerIdentity(apiEvent({ method: 'POST', path: '/v1/provinces', iamUserArn: arn }))).toBe(arn);
  });

  it('returns null on a public route', () => {
    expect(callerIdentity(apiEvent({ method: 'GET', path: '/v1/provinces' }))).toBeNull();
  });
});
