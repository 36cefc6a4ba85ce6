/**
 * `validateBody(schema)`: runs after `readBody` and replaces `event.parsed` with the validated,
 * typed body. `schema` is a function that returns the value typed or throws `RequestInvalid`:
 * usually `requireValid(isIssueRequest)` (a compiled validator from `core/schemas/validators`).
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpEvent } from './event';

/** A validator: returns the value typed, or throws an `HcxError` (normally `RequestInvalid`). */
export type BodyValidator<T> = (value: unknown) => T;

/** A body schema: a validator function (e.g. `requireValid(isIssueRequest)`). */
export type BodySchema<T> = BodyValidator<T>;

/** The validator function for `schema`, checked now (failing fast when it is not a function). */
export function bodyValidator<T>(schema: BodySchema<T>): BodyValidator<T> {
  if (typeof schema !== 'function') throw new TypeError('validateBody: schema must be a function');
  return schema;
}

/** Middleware: validate `event.parsed` against `schema` before the handler sees it. */
export function validateBody<T>(schema: BodySchema<T>): MiddlewareObj<APIGatewayProxyEventV2> {
  const validate = bodyValidator(schema);

  const validateBodyMiddlewareBefore = (request: Request<APIGatewayProxyEventV2>): void => {
    const event = request.event as HttpEvent;
    event.parsed = validate(event.parsed);
  };

  return { name: 'validateBody', before: validateBodyMiddlewareBefore };
}
