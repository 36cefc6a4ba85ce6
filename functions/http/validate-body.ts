/**
 * `validateBody(schema)`: runs after `readBody` and replaces `event.parsed` with the validated,
 * typed body. `schema` is a schema `$id` from `SCHEMA_IDS` (checked with the validator compiled
 * once by `core/schemas/validators`) or a validator function that returns the value typed or
 * throws `RequestInvalid`.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { assertValid, validatorFor } from '../core/schemas/validators';
import type { HttpEvent } from './event';

/** A validator: returns the value typed, or throws an `HcxError` (normally `RequestInvalid`). */
export type BodyValidator<T> = (value: unknown) => T;

/** A body schema: a schema `$id` (e.g. `SCHEMA_IDS.issueRequest`) or a validator function. */
export type BodySchema<T> = string | BodyValidator<T>;

/** The validator function for `schema`; a schema id is resolved (and compiled) now, failing fast if unknown. */
export function bodyValidator<T>(schema: BodySchema<T>): BodyValidator<T> {
  if (typeof schema === 'function') return schema;
  if (typeof schema !== 'string')
    throw new TypeError('validateBody: schema must be a schema id or a function');
  validatorFor(schema);
  return (value) => assertValid<T>(schema, value);
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
