/**
 * `httpHandler(options, impl)`: the one place that composes the standard middleware chain of an
 * hcx HTTP route, so every `functions/<service>/handlers/<name>.ts` is a short adapter over the core:
 *
 * ```ts
 * export const create = (deps: Deps) =>
 *   httpHandler<IssueRequest>(
 *     { body: { types: ['application/json'], maxBytes: 8192 }, schema: requireValid(isIssueRequest) },
 *     async (event) => json(201, await issue(deps, event.parsed)),
 *   );
 * export const handler = lazyHandler(() => create(fromEnv()));
 * ```
 *
 * Chain (before hooks in this order, after/onError hooks in reverse): Powertools logger context,
 * security headers, problem details, body reading, body validation, then `impl`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { logger as rootLogger } from '../aws/observability';
import { callerRole } from './caller-role';
import type { HttpEvent, HttpLambdaHandler, HttpResponse } from './event';
import { problemDetails } from './problem-details';
import { readBody, type ReadBodyOptions } from './read-body';
import { securityHeaders } from './security-headers';
import { validateBody, type BodySchema } from './validate-body';

/** What a route needs from the standard chain. */
export interface HttpHandlerOptions<TBody> {
  /** The route takes a body: accepted content types and size cap (omit for GET/DELETE routes). */
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
  if (options.schema !== undefined && options.body === undefined) {
    throw new TypeError('httpHandler: schema needs body options');
  }
  const log = options.logger ?? rootLogger;
  const chain = middy<HttpEvent<TBody>, HttpResponse>(impl)
    // logEvent false whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event holds personal data.
    .use(injectLambdaContext(log, { logEvent: false, resetKeys: true }) as MiddlewareObj)
    .use(securityHeaders())
    .use(problemDetails({ logger: log }));
  // AWS only: the stack names the one role allowed on this IAM route (functions/http/caller-role.ts).
  const allowedRole = process.env.CALLER_ROLE_ARN;
  if (allowedRole) chain.use(callerRole<TBody>(allowedRole));
  if (options.body !== undefined) chain.use(readBody(options.body));
  if (options.schema !== undefined) chain.use(validateBody(options.schema));
  return chain as unknown as HttpLambdaHandler;
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
