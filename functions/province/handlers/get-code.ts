/** `GET /v1/codes/{codeId}` (province-internal): what is held about one code. */
import { httpHandler, json, lazyHandler } from '../../http';
import { describe } from '../codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';
import { codeIdParam } from '../http';

export const create = (deps: ProvinceDeps) =>
  httpHandler({}, async (event) => json(200, await describe(deps, codeIdParam(event))));

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = provinceDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
