/** `POST /v1/provinces/{region}/code-revocations`: revoke codes (signed request, op `code.revoke`). */
import { REQUEST_PROFILE } from '../core/profiles';
import { SCHEMA_IDS } from '../core/schemas/validators';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../exchange/deps';
import { revokeCodes } from '../exchange/service';
import { httpHandler, json, lazyHandler, pathParam } from '../http';

export const create = (deps: ExchangeDeps) =>
  httpHandler<string>(
    { body: { types: ['application/jose'], maxBytes: REQUEST_PROFILE.maxLength } },
    async (event) =>
      json(200, await revokeCodes(deps, pathParam(event, 'region', SCHEMA_IDS.provinceRegion), event.parsed)),
  );

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = exchangeDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
