/**
 * The compiled validators by schema `$id` (a `SCHEMA_IDS` value), for tools and tests that pick a
 * schema at run time (the CLI, the schema tests). Importing this module loads every validator:
 * handlers import the named ones from `validators.ts` instead.
 */
import type { ErrorObject } from 'ajv/dist/2020';
import { SCHEMA_IDS } from './documents';
import { assertValid, type Validator } from './validators';
import * as generated from './validators.gen';

const byId = new Map<string, Validator<unknown>>(
  Object.entries(SCHEMA_IDS).map(([key, id]) => [
    id,
    (generated as unknown as Record<string, Validator<unknown>>)[key],
  ]),
);

/** The validator for the schema `id` (a `$id`, or `$id#/json/pointer`); throws when there is none. */
export function validatorFor<T>(id: string): Validator<T> {
  const v = byId.get(id);
  if (!v) throw new Error(`unknown schema id ${id}`);
  return v as Validator<T>;
}

/** Errors of the last failed validation against `id` (empty after a success). For logs and tests only. */
export function lastErrors(id: string): readonly ErrorObject[] {
  return validatorFor(id).errors ?? [];
}

/** `assertValid` against the schema `id`: the value typed, or `RequestInvalid`. */
export function assertValidAgainst<T>(id: string, value: unknown, detailPrefix?: string): T {
  return assertValid(validatorFor<T>(id), value, detailPrefix);
}
