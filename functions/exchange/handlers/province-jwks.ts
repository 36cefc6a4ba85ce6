/** `GET /v1/provinces/{region}/jwks.json`: that province's active public signing keys. */
import { isProvinceRegion } from '../../core/schemas/validators';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { provinceJwks } from '../service';
import { httpHandler, json, lazyHandler, pathParam } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-province-jwks');

export const create = (deps: ExchangeDeps) =>
  httpHandler({ route }, async (event) =>
    json(200, await provinceJwks(deps, pathParam(event, 'region', isProvinceRegion))),
  );

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = exchangeDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
