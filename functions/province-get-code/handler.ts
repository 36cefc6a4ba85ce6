/** `GET /v1/codes/{codeId}` (province-internal): what is held about one code. */
import { httpHandler, json, lazyHandler } from '../http';
import { describe } from '../province/codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../province/deps';
import { codeIdParam } from '../province/http';

export const create = (deps: ProvinceDeps) =>
  httpHandler({}, async (event) => json(200, await describe(deps, codeIdParam(event))));

export const handler = lazyHandler(() => create(provinceDepsFromEnv()));
