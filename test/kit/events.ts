/**
 * API Gateway HTTP API (payload 2.0) events and a Lambda context for handler tests: thin adapters
 * over the production builders the embedded runtime uses (functions/embedded/event.ts `routeEvent`,
 * functions/embedded/lambda-context.ts), so a test's event has exactly the shape the runtime sends.
 * The kit adds only what tests need: a route given by its template, a JSON-object body, a body
 * already base64, an IAM caller given by its ARN, and a context whose fields a test may override.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { routeEvent } from '../../functions/embedded/event';
import { lambdaContext as runtimeLambdaContext } from '../../functions/embedded/lambda-context';

/** What a test says about a request; everything else gets a realistic default. */
export interface ApiEventInput {
  readonly method: string;
  /** Route template, e.g. `/v1/codes/{codeId}` (becomes `routeKey`). */
  readonly path: string;
  /** Decoded path parameters, percent-encoded into `rawPath` as a client would. */
  readonly pathParameters?: Record<string, string>;
  readonly queryStringParameters?: Record<string, string>;
  /** Header names are lower-cased, as API Gateway does. */
  readonly headers?: Record<string, string>;
  /** A string is sent as is; an object is JSON-encoded (and `content-type` defaults to JSON). */
  readonly body?: string | object;
  /** `body` is already base64, as API Gateway passes a binary body (kept as given). */
  readonly isBase64Encoded?: boolean;
  /** IAM caller, as API Gateway fills it on IAM-authorized routes. */
  readonly iamUserArn?: string;
  /** The caller's address (`requestContext.http.sourceIp`; default the runtime's 127.0.0.1). */
  readonly sourceIp?: string;
}

/** A complete APIGatewayProxyEventV2 (payload 2.0) event, built by the runtime's `routeEvent`. */
export function apiEvent(input: ApiEventInput): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: string | undefined;
  if (typeof input.body === 'string') body = input.body;
  else if (input.body !== undefined) {
    body = JSON.stringify(input.body);
    headers['content-type'] ??= 'application/json';
  }
  const event = routeEvent(
    { method: input.method.toUpperCase(), path: input.path },
    {
      pathParameters: input.pathParameters,
      query: input.queryStringParameters,
      headers,
      body,
      requestId: `req-${randomUUID().slice(0, 8)}`,
      ...(input.sourceIp !== undefined ? { sourceIp: input.sourceIp } : {}),
      ...(input.iamUserArn !== undefined
        ? { authorizer: { name: 'test-caller', token: '', arn: input.iamUserArn } }
        : {}),
    },
  );
  // The path parameters are the ones given, even when `path` is already a concrete path.
  const withParams = input.pathParameters ? { ...event, pathParameters: { ...input.pathParameters } } : event;
  if (body === undefined) return withParams;
  if (input.isBase64Encoded) return { ...withParams, body, isBase64Encoded: true };
  // A text body reaches the handler as the very string given, even one no wire could carry (a
  // lone surrogate, which UTF-8 encoding would have replaced): the strict-body tests need it.
  return withParams.isBase64Encoded ? withParams : { ...withParams, body };
}

/** The runtime's Lambda context (30 s to run), with any field a test overrides. */
export function lambdaContext(overrides: Partial<Context> = {}): Context {
  const context = runtimeLambdaContext(overrides.functionName ?? 'hcx-test-function', randomUUID(), 30_000);
  return { ...context, ...overrides };
}
