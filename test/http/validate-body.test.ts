import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { RequestInvalid } from '../../functions/core/errors';
import { isVerificationRequest, requireValid } from '../../functions/core/schemas/validators';
import { readBody, validateBody, type HttpEvent } from '../../functions/http';
import { apiEvent, lambdaContext } from '../kit';

interface Greeting {
  hello: string;
}

const isGreeting = (v: unknown): Greeting => {
  if (typeof v === 'object' && v !== null && typeof (v as Greeting).hello === 'string') return v as Greeting;
  throw new RequestInvalid('/hello: type');
};

function post(body: object) {
  return apiEvent({ method: 'POST', path: '/v1/things', body });
}

describe('validateBody', () => {
  it('hands the handler the value the validator returned', async () => {
    const handler = middy(async (event: APIGatewayProxyEventV2) => ({
      statusCode: 200,
      greeting: (event as HttpEvent<Greeting>).parsed.hello,
    }))
      .use(readBody({ types: ['application/json'] }))
      .use(validateBody(isGreeting));
    const result = await handler(post({ hello: 'world' }), lambdaContext());
    expect(result.greeting).toBe('world');
  });

  it('refuses a body the validator rejects without calling the handler', async () => {
    const impl = jest.fn(async () => ({ statusCode: 200 }));
    const handler = middy(impl)
      .use(readBody({ types: ['application/json'] }))
      .use(validateBody(isGreeting));
    await expect(handler(post({ hello: 42 }), lambdaContext())).rejects.toMatchObject({
      code: 'REQUEST_INVALID',
    });
    expect(impl).not.toHaveBeenCalled();
  });

  it('accepts a body matching the schema of its compiled validator', async () => {
    const handler = middy(async (event: APIGatewayProxyEventV2) => ({
      statusCode: 200,
      parsed: (event as HttpEvent).parsed,
    }))
      .use(readBody({ types: ['application/json'] }))
      .use(validateBody(requireValid(isVerificationRequest)));
    const result = await handler(post({ code: 'HCX1:x' }), lambdaContext());
    expect(result.parsed).toEqual({ code: 'HCX1:x' });
  });

  it('refuses a body with a member the schema does not allow', async () => {
    const handler = middy(async (event: APIGatewayProxyEventV2) => ({
      statusCode: 200,
      parsed: (event as HttpEvent).parsed,
    }))
      .use(readBody({ types: ['application/json'] }))
      .use(validateBody(requireValid(isVerificationRequest)));
    await expect(handler(post({ code: 'HCX1:x', sleep: 8 }), lambdaContext())).rejects.toMatchObject({
      code: 'REQUEST_INVALID',
    });
  });

  it('fails at build time when the schema is not a function', () => {
    expect(() => validateBody('https://hcx.example/schemas/no-such.json' as never)).toThrow(TypeError);
  });
});
