import middy from '@middy/core';
import {
  AuthenticationFailed,
  HcxError,
  JwsRejected,
  RequestInvalid,
  ResourceNotFound,
  ServiceUnavailable,
} from '../../functions/core/errors';
import { problemDetails, type HttpResponse } from '../../functions/http';
import { apiEvent, captureLogs, lambdaContext } from '../kit';

/** A tiny handler that throws `error`, wrapped in problemDetails. */
function throwing(error: unknown, options?: Parameters<typeof problemDetails>[0]) {
  return middy(async (): Promise<HttpResponse> => {
    throw error;
  }).use(problemDetails(options));
}

const event = () => apiEvent({ method: 'GET', path: '/v1/things' });

function problem(response: HttpResponse): Record<string, unknown> {
  expect(response.headers['content-type']).toBe('application/problem+json');
  return JSON.parse(response.body ?? '') as Record<string, unknown>;
}

/** An error shaped like the AWS SDK v3's service exceptions. */
function sdkError(name: string, message = 'Rate of requests exceeds the allowed throughput.'): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId: 'REQ123', attempts: 3 },
  });
}

describe('problemDetails', () => {
  it('answers an HcxError with an RFC 9457 body carrying its stable code', async () => {
    const response = await throwing(new ResourceNotFound('No such code'))(event(), lambdaContext());
    expect(response.statusCode).toBe(404);
    expect(problem(response)).toEqual({
      type: 'https://hcx.example/problems/not-found',
      title: 'Not found',
      status: 404,
      code: 'NOT_FOUND',
      detail: 'No such code',
    });
  });

  it('uses the verification reason code of a rejected JWS as the problem code', async () => {
    const response = await throwing(new JwsRejected('UNSUPPORTED_ALG', 'Unsupported algorithm'))(
      event(),
      lambdaContext(),
    );
    expect(problem(response)).toMatchObject({
      status: 400,
      code: 'UNSUPPORTED_ALG',
      type: 'https://hcx.example/problems/unsupported-alg',
    });
  });

  it('answers every authentication failure with the same generic 401', async () => {
    const a = await throwing(new AuthenticationFailed('REPLAY'))(event(), lambdaContext());
    const b = await throwing(new AuthenticationFailed('SIGNATURE_INVALID'))(event(), lambdaContext());
    expect(a.statusCode).toBe(401);
    expect(a.body).toBe(b.body);
    expect(a.body).not.toContain('REPLAY');
  });

  it('turns a plain Error into a 500 INTERNAL without leaking its message or stack', async () => {
    const response = await throwing(new Error('table hcx-prod-Exchange: secret internals'))(
      event(),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(500);
    expect(problem(response)).toEqual({
      type: 'https://hcx.example/problems/internal',
      title: 'Internal error',
      status: 500,
      code: 'INTERNAL',
    });
    expect(response.body).not.toContain('secret internals');
    expect(response.body).not.toContain(' at ');
  });

  it('turns a thrown non-error value into a 500 INTERNAL', async () => {
    const response = await throwing('just a string')(event(), lambdaContext());
    expect(problem(response)).toMatchObject({ status: 500, code: 'INTERNAL' });
  });

  it('never shows the detail of a 5xx HcxError', async () => {
    const error = new HcxError('INTERNAL', { detail: 'arn:aws:dynamodb:…' });
    const response = await throwing(error)(event(), lambdaContext());
    expect(problem(response)).not.toHaveProperty('detail');
  });

  it.each([
    'ThrottlingException',
    'ProvisionedThroughputExceededException',
    'RequestLimitExceeded',
    'TimeoutError',
    'InternalServerError',
    'ServiceUnavailable',
  ])('answers an SDK %s with a retryable 503 SERVICE_UNAVAILABLE and Retry-After', async (name) => {
    const response = await throwing(sdkError(name))(event(), lambdaContext());
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(problem(response)).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(response.body).not.toContain('throughput');
  });

  it('answers a ServiceUnavailable with the configured Retry-After', async () => {
    const response = await throwing(new ServiceUnavailable(), { retryAfterSeconds: 5 })(
      event(),
      lambdaContext(),
    );
    expect(response.headers['retry-after']).toBe('5');
  });

  it('answers a server-side SDK fault with a retryable 503', async () => {
    const fault = Object.assign(sdkError('SomethingNew'), { $fault: 'server' });
    const response = await throwing(fault)(event(), lambdaContext());
    expect(problem(response)).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('answers a non-retryable SDK error with a 500 INTERNAL', async () => {
    const response = await throwing(sdkError('ValidationException', 'bad key'))(event(), lambdaContext());
    expect(problem(response)).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(response.headers).not.toHaveProperty('retry-after');
  });

  it('logs the code, the status and the private reason of an authentication failure', async () => {
    const logs = captureLogs();
    await throwing(new AuthenticationFailed('REPLAY'))(event(), lambdaContext());
    logs.stop();
    expect(logs.records()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        errorCode: 'UNAUTHORIZED',
        status: 401,
        reason: 'REPLAY',
      }),
    ]);
  });

  it('logs an unexpected error with its stack frames but not its message', async () => {
    const logs = captureLogs();
    await throwing(new SyntaxError('Unexpected token in JSON: {"name":"张三"}'))(event(), lambdaContext());
    logs.stop();
    const [record] = logs.records();
    expect(record).toMatchObject({
      level: 'ERROR',
      errorName: 'SyntaxError',
      errorCode: 'INTERNAL',
      status: 500,
    });
    expect(record.stack).toEqual(expect.arrayContaining([expect.stringMatching(/^at /)]));
    expect(logs.text()).not.toContain('张三');
  });

  it('logs the public detail of a refused request without a stack', async () => {
    const logs = captureLogs();
    await throwing(new RequestInvalid('/holder/idNumber: pattern'))(event(), lambdaContext());
    logs.stop();
    expect(logs.records()[0]).toMatchObject({
      level: 'WARN',
      errorCode: 'REQUEST_INVALID',
      status: 400,
      detail: '/holder/idNumber: pattern',
    });
    expect(logs.records()[0]).not.toHaveProperty('stack');
  });

  it('refuses a negative Retry-After option', () => {
    expect(() => problemDetails({ retryAfterSeconds: -1 })).toThrow(TypeError);
  });
});
