import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpEvent } from '../../functions/http';
import { readBody, type ReadBodyOptions } from '../../functions/http';
import { apiEvent, lambdaContext } from '../kit';

/** A tiny handler behind readBody that echoes what it was given. */
function echo(options: ReadBodyOptions) {
  return middy(async (event: APIGatewayProxyEventV2) => ({
    statusCode: 200,
    headers: {},
    parsed: (event as HttpEvent).parsed,
  })).use(readBody(options));
}

const JSON_ONLY: ReadBodyOptions = { types: ['application/json'], maxBytes: 64 };

function post(body: string, contentType = 'application/json', isBase64Encoded = false) {
  return apiEvent({
    method: 'POST',
    path: '/v1/things',
    headers: { 'content-type': contentType },
    body,
    isBase64Encoded,
  });
}

describe('readBody', () => {
  it('puts the strictly parsed JSON body on event.parsed', async () => {
    const result = await echo(JSON_ONLY)(post('{"a":[1,2],"b":"x"}'), lambdaContext());
    expect(result.parsed).toEqual({ a: [1, 2], b: 'x' });
  });

  it('ignores content-type parameters such as charset', async () => {
    const result = await echo(JSON_ONLY)(post('{"a":1}', 'Application/JSON; charset=utf-8'), lambdaContext());
    expect(result.parsed).toEqual({ a: 1 });
  });

  it('passes an application/jose body as trimmed text', async () => {
    const handler = echo({ types: ['application/jose'] });
    const result = await handler(post('  aaa.bbb.ccc\n', 'application/jose'), lambdaContext());
    expect(result.parsed).toBe('aaa.bbb.ccc');
  });

  it('refuses a content type the route does not take with UNSUPPORTED_MEDIA_TYPE', async () => {
    await expect(echo(JSON_ONLY)(post('{"a":1}', 'text/plain'), lambdaContext())).rejects.toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      status: 415,
    });
  });

  it('refuses a request without content type with UNSUPPORTED_MEDIA_TYPE', async () => {
    const event = apiEvent({ method: 'POST', path: '/v1/things', body: '{"a":1}', headers: {} });
    delete event.headers['content-type'];
    await expect(echo(JSON_ONLY)(event, lambdaContext())).rejects.toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('refuses a missing body with REQUEST_INVALID', async () => {
    const event = apiEvent({
      method: 'POST',
      path: '/v1/things',
      headers: { 'content-type': 'application/json' },
    });
    await expect(echo(JSON_ONLY)(event, lambdaContext())).rejects.toMatchObject({ code: 'REQUEST_INVALID' });
  });

  it('refuses an oversized body with REQUEST_TOO_LARGE before trying to parse it', async () => {
    const notJsonAndTooDeep = '['.repeat(65);
    await expect(echo(JSON_ONLY)(post(notJsonAndTooDeep), lambdaContext())).rejects.toMatchObject({
      code: 'REQUEST_TOO_LARGE',
      status: 413,
    });
  });

  it('counts the cap in UTF-8 bytes, not characters', async () => {
    const handler = echo({ types: ['application/json'], maxBytes: 20 });
    const sevenChineseChars = `"${'张'.repeat(7)}"`; // 9 characters, 23 bytes
    await expect(handler(post(sevenChineseChars), lambdaContext())).rejects.toMatchObject({
      code: 'REQUEST_TOO_LARGE',
    });
  });

  it('applies the cap to the decoded size of a base64-encoded body', async () => {
    const handler = echo({ types: ['application/json'], maxBytes: 30 });
    const body = '{"a":"aaaaaaaaaaaaaaaaaaaa"}'; // 28 bytes, 40 base64 characters
    const result = await handler(
      post(Buffer.from(body).toString('base64'), 'application/json', true),
      lambdaContext(),
    );
    expect(result.parsed).toEqual({ a: 'aaaaaaaaaaaaaaaaaaaa' });
  });

  it('refuses a base64-encoded body whose decoded size is over the cap', async () => {
    const handler = echo({ types: ['application/json'], maxBytes: 30 });
    const body = Buffer.from(`{"a":"${'a'.repeat(40)}"}`).toString('base64');
    await expect(handler(post(body, 'application/json', true), lambdaContext())).rejects.toMatchObject({
      code: 'REQUEST_TOO_LARGE',
    });
  });

  it('defaults the cap to 16 KiB', async () => {
    const handler = echo({ types: ['application/json'] });
    const body = `"${'a'.repeat(16 * 1024)}"`;
    await expect(handler(post(body), lambdaContext())).rejects.toMatchObject({ code: 'REQUEST_TOO_LARGE' });
  });

  it('refuses invalid UTF-8 with REQUEST_INVALID', async () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    await expect(
      echo(JSON_ONLY)(post(bytes.toString('base64'), 'application/json', true), lambdaContext()),
    ).rejects.toMatchObject({ code: 'REQUEST_INVALID', status: 400 });
  });

  it('refuses a body carrying a lone surrogate with REQUEST_INVALID', async () => {
    await expect(echo(JSON_ONLY)(post('{"a":"\ud800"}'), lambdaContext())).rejects.toMatchObject({
      code: 'REQUEST_INVALID',
    });
  });

  it('refuses malformed base64 with REQUEST_INVALID', async () => {
    await expect(
      echo(JSON_ONLY)(post('e30=!', 'application/json', true), lambdaContext()),
    ).rejects.toMatchObject({
      code: 'REQUEST_INVALID',
    });
  });

  it.each([
    ['duplicate member names', '{"iss":"B","iss":"A"}', 'DUPLICATE_KEY'],
    ['a __proto__ member', '{"__proto__":{"admin":true}}', 'FORBIDDEN_KEY'],
    ['a constructor member', '{"constructor":{"prototype":{}}}', 'FORBIDDEN_KEY'],
    ['nesting deeper than the cap', `${'['.repeat(17)}${']'.repeat(17)}`, 'TOO_DEEP'],
    ['trailing garbage', '{"a":1} x', 'SYNTAX'],
  ])('refuses JSON with %s with REQUEST_INVALID', async (_case, body, problem) => {
    await expect(echo(JSON_ONLY)(post(body), lambdaContext())).rejects.toMatchObject({
      code: 'REQUEST_INVALID',
      problem,
    });
  });

  it('honours a smaller depth cap', async () => {
    const handler = echo({ types: ['application/json'], maxDepth: 2 });
    await expect(handler(post('{"a":{"b":{}}}'), lambdaContext())).rejects.toMatchObject({
      problem: 'TOO_DEEP',
    });
  });

  it('refuses options without content types', () => {
    expect(() => readBody({ types: [] })).toThrow(TypeError);
  });

  it('refuses a non-positive cap', () => {
    expect(() => readBody({ types: ['application/json'], maxBytes: 0 })).toThrow(TypeError);
  });
});
