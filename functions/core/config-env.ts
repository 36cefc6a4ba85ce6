/**
 * Reading a function's configuration from its environment, shared by the exchange's and the
 * province's `…DepsFromEnv`: both failures are deployment errors (`INTERNAL`, 500), reported when
 * the handler is built, with the variable's name in the cause (never in the answer).
 */
import { InternalError } from './errors';

/** The non-empty value of `name`, or a configuration error. */
export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new InternalError(new Error(`missing configuration ${name}`));
  return value;
}

/** The environment names a service (`name`) that this function was not built to use. */
export function notBuiltFor(name: string): InternalError {
  return new InternalError(new Error(`${name} is set but this function does not use it`));
}
