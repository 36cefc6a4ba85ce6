/** `GET /v1/registry` (province-internal): replica version, age, expiry and the last sync result. */
import { httpHandler, json, lazyHandler } from '../http';
import { registryStatus } from '../province/codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../province/deps';

export const create = (deps: ProvinceDeps) =>
  httpHandler({}, async () => json(200, await registryStatus(deps)));

export const handler = lazyHandler(() => create(provinceDepsFromEnv()));
