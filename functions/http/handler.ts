/**
 * The two middleware chains of hcx, composed in one place so every
 * `functions/<service>/handlers/<name>.ts` is a short adapter over its service:
 *
 * ```ts
 * const route = routeOf('province-issue'); // body cap, content types, cache policy, query: functions/routes.ts
 * export const create = (deps: Deps) =>
 *   httpHandler({ route, schema: validIssueRequest }, async (event) => json(201, await issue(deps, event.parsed)));
 * export const handler = lazyHandler(() => create(fromEnv()));
 * ```
 *
 * HTTP chain (before hooks in this order, after/onError hooks in reverse): metrics flushing
 * (`logMetrics`), logger context (functions/aws/lambda-log.ts), security headers, problem details, the
 * route's answer headers (cache policy, content type), caller role (AWS), body reading, body
 * validation, then `impl`. Scheduled chain ({@link scheduledHandler}): metrics flushing and logger
 * context, then `impl`.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context, ScheduledEvent } from 'aws-lambda';
import { ENV } from '../aws/env';
import { injectLambdaContext, type Logger, logMetrics } from '../aws/lambda-log';
import { logger as rootLogger, metrics } from '../aws/observability';
import { asInvocation } from '../core/invocation';
import type { RouteDefinition } from '../routes';
import { callerRole } from './caller-role';
import type { HttpEvent, HttpLambdaHandler, HttpResponse } from './event';
import { problemDetails } from './problem-details';
import { readBody, type ReadBodyOptions } from './read-body';
import { securityHeaders } from './security-headers';
import { validateBody, type BodySchema } from './validate-body';

/** The body options of a route: its one request content type and its cap. */
function routeBody(route: RouteDefinition): ReadBodyOptions | undefined {
  if (route.requestType === undefined) return undefined;
  if (route.maxBodyBytes === undefined) {
    throw new TypeError(`route ${route.fn} takes a body but has no maxBodyBytes (functions/routes.ts)`);
  }
  return { types: [route.requestType], maxBytes: route.maxBodyBytes };
}

function withoutHeader(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== name));
}

/**
 * Middleware (after, so success answers only; problems stay `no-store`): the route's `cache-control`
 * unless the handler set one, and its success content type on a success answer with a body.
 */
function routeAnswer(route: RouteDefinition): MiddlewareObj<unknown, HttpResponse> {
  const routeAnswerMiddlewareAfter = (request: { response: HttpResponse | null | undefined }): void => {
    const response = request.response;
    if (!response || response.statusCode >= 400) return;
    let headers = { ...(response.headers ?? {}) };
    if (route.cacheControl && !Object.keys(headers).some((k) => k.toLowerCase() === 'cache-control')) {
      headers['cache-control'] = route.cacheControl;
    }
    if (route.responseType && response.statusCode === route.successStatus && response.body !== undefined) {
      headers = { ...withoutHeader(headers, 'content-type'), 'content-type': route.responseType };
    }
    response.headers = headers;
  };
  return { after: routeAnswerMiddlewareAfter as MiddlewareObj<unknown, HttpResponse>['after'] };
}

/** What a route needs from the standard chain. */
export interface HttpHandlerOptions<TBody> {
  /**
   * The route this handler serves (`routeOf(fn)`): its body type and cap, cache policy and success
   * content type apply. Handlers give it; a chain built without it (tests) gets the defaults.
   */
  readonly route?: RouteDefinition;
  /** Body options without a route (tests of the chain); with a route, the route table says them. */
  readonly body?: ReadBodyOptions;
  /** Validates the parsed body: a function returning it typed, e.g. `requireValid(isIssueRequest)`. */
  readonly schema?: BodySchema<TBody>;
  /** Logger that gets the Lambda context and logs errors (default: the root hcx logger). */
  readonly logger?: Logger;
}

/** The route's own code: gets the event with `parsed` filled, returns a response or throws an HcxError. */
export type HttpImpl<TBody> = (event: HttpEvent<TBody>, context: Context) => Promise<HttpResponse>;

/** Build a route's Lambda handler: `impl` wrapped in the standard middy chain. */
export function httpHandler<TBody = undefined>(
  options: HttpHandlerOptions<TBody>,
  impl: HttpImpl<TBody>,
): HttpLambdaHandler {
  const { route } = options;
  if (route && options.body !== undefined) {
    throw new TypeError(`httpHandler: route ${route.fn} takes its body options from the route table`);
  }
  const body = route ? routeBody(route) : options.body;
  if (options.schema !== undefined && body === undefined) {
    throw new TypeError('httpHandler: schema needs a body (requestType in the route table)');
  }
  const log = options.logger ?? rootLogger;
  // No middy early timeout: its AbortController is shared by every invocation of the process, and
  // the deadline is the invocation's own (invocation.ts, checked before every log append).
  const chain = middy<HttpEvent<TBody>, HttpResponse>(impl, { timeoutEarlyInMillis: 0 })
    .use(logMetrics(metrics) as MiddlewareObj)
    // The event is never logged (it holds personal data): lambda-log.ts has no POWERTOOLS_LOGGER_LOG_EVENT.
    .use(injectLambdaContext(log) as MiddlewareObj)
    .use(securityHeaders())
    .use(problemDetails({ logger: log }));
  if (route) chain.use(routeAnswer(route));
  // AWS only: the stack names the one role allowed on this IAM route (functions/http/caller-role.ts).
  const allowedRole = process.env[ENV.CALLER_ROLE_ARN];
  if (allowedRole) chain.use(callerRole<TBody>(allowedRole));
  if (body !== undefined) chain.use(readBody(body));
  if (options.schema !== undefined) chain.use(validateBody(options.schema));
  return asInvocation(chain as unknown as HttpLambdaHandler);
}

/** A scheduled function's own code: returns what the run did (logged by the caller, returned to Lambda). */
export type ScheduledImpl<TResult> = (event: ScheduledEvent, context: Context) => Promise<TResult>;

/**
 * Build a scheduled function's Lambda handler: `impl` with the logger context and its metrics
 * flushed by `logMetrics`, as in the HTTP chain.
 */
export function scheduledHandler<TResult>(
  impl: ScheduledImpl<TResult>,
  log: Logger = rootLogger,
): (event: ScheduledEvent, context: Context) => Promise<TResult> {
  // Its own invocation context for every log line, whatever else runs in the process (invocation.ts).
  return asInvocation(
    middy<ScheduledEvent, TResult>(impl, { timeoutEarlyInMillis: 0 })
      .use(logMetrics(metrics) as MiddlewareObj)
      .use(injectLambdaContext(log) as MiddlewareObj) as unknown as (
      event: ScheduledEvent,
      context: Context,
    ) => Promise<TResult>,
  );
}

/**
 * A handler that builds the real one on its first invocation, so importing a handler module does
 * no I/O and cannot throw on missing configuration. A failed build is retried on the next call.
 * Works for scheduled functions too (any event type).
 */
export function lazyHandler<TEvent = APIGatewayProxyEventV2, TResult = HttpResponse>(
  factory: () => (event: TEvent, context: Context) => Promise<TResult>,
): (event: TEvent, context: Context) => Promise<TResult> {
  let built: ((event: TEvent, context: Context) => Promise<TResult>) | undefined;
  return async (event, context) => {
    built ??= factory();
    return built(event, context);
  };
}
