import middy from '@middy/core';
import { RequestInvalid } from '../../functions/core/errors';
import { json, problemDetails, securityHeaders, type HttpResponse } from '../../functions/http';
import { apiEvent, lambdaContext } from '../kit';

const event = () => apiEvent({ method: 'GET', path: '/v1/things' });

describe('securityHeaders', () => {
  it('marks a response no-store and nosniff', async () => {
    const handler = middy(async () => json(200, { ok: true })).use(securityHeaders());
    const response = await handler(event(), lambdaContext());
    expect(response.headers).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-type': 'application/json',
    });
  });

  it('keeps the cache-control the handler chose', async () => {
    const handler = middy(async () => json(200, {}, { 'Cache-Control': 'public, max-age=60' })).use(
      securityHeaders(),
    );
    const response = await handler(event(), lambdaContext());
    expect(response.headers['Cache-Control']).toBe('public, max-age=60');
    expect(response.headers).not.toHaveProperty('cache-control');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('adds the headers to a problem response too', async () => {
    const handler = middy(async (): Promise<HttpResponse> => {
      throw new RequestInvalid();
    })
      .use(securityHeaders())
      .use(problemDetails());
    const response = await handler(event(), lambdaContext());
    expect(response.statusCode).toBe(400);
    expect(response.headers).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-type': 'application/problem+json',
    });
  });

  it('uses the configured default cache-control', async () => {
    const handler = middy(async () => json(200, {})).use(securityHeaders({ cacheControl: 'private' }));
    const response = await handler(event(), lambdaContext());
    expect(response.headers['cache-control']).toBe('private');
  });

  it('refuses an empty cache-control option', () => {
    expect(() => securityHeaders({ cacheControl: '' })).toThrow(TypeError);
  });
});
