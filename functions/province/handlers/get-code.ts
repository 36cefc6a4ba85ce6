/** `GET /v1/codes/{codeId}` (province-internal): what is held about one code. */
import { httpHandler, json, lazyHandler } from '../../http';
import { routeOf } from '../../routes';
import { describe } from '../codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';
import { codeIdParam } from '../http';

const route = routeOf('province-get-code');

export const create = (deps: ProvinceDeps) =>
  httpHandler({ route }, async (event) => json(200, await describe(deps, codeIdParam(event))));

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = provinceDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
