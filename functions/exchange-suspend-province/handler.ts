/**
 * `POST /v1/provinces/{region}/suspend` (operator): suspend a province. Its signed requests are
 * refused from now on and its codes verify as `ISSUER_SUSPENDED`; repeating it changes nothing.
 * Only the operator reaches it (API Gateway IAM authorization, a bearer token locally).
 */
import { SCHEMA_IDS } from '../core/schemas/validators';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../exchange/deps';
import { suspendProvince } from '../exchange/service';
import { httpHandler, json, lazyHandler, pathParam } from '../http';

export const create = (deps: ExchangeDeps) =>
  httpHandler({}, async (event) =>
    json(200, await suspendProvince(deps, pathParam(event, 'region', SCHEMA_IDS.provinceRegion))),
  );

/** The dependencies from the Lambda environment (no I/O). */
export const fromEnv = exchangeDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
