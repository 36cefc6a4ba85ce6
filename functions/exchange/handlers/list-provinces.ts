/** `GET /v1/provinces`: the registered provinces and their status. */
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { listProvinces } from '../service';
import { httpHandler, json, lazyHandler } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-list-provinces');

export const create = (deps: ExchangeDeps) =>
  httpHandler({ route }, async () => json(200, await listProvinces(deps)));

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = exchangeDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
