/** `GET /v1/registry` (province-internal): replica version, age, expiry and the last sync result. */
import { httpHandler, json, lazyHandler } from '../http';
import { registryStatus } from '../province/codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../province/deps';

export const create = (deps: ProvinceDeps) =>
  httpHandler({}, async () => json(200, await registryStatus(deps)));

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = provinceDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
