/** `POST /v1/codes/{codeId}/revoke` (province-internal): revoke one code and publish it via the exchange. */
import { httpHandler, json, lazyHandler } from '../http';
import { revoke } from '../province/codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../province/deps';
import { codeIdParam, withMetrics } from '../province/http';

export const create = (deps: ProvinceDeps) =>
  httpHandler({}, async (event) =>
    withMetrics(async () => json(200, await revoke(deps, codeIdParam(event)))),
  );

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = provinceDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
