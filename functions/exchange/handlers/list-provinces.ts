/** `GET /v1/provinces`: the registered provinces and their status. */
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { listProvinces } from '../service';
import { httpHandler, json, lazyHandler } from '../../http';

export const create = (deps: ExchangeDeps) =>
  httpHandler({}, async () =>
    json(200, await listProvinces(deps), { 'cache-control': 'public, max-age=60' }),
  );

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = exchangeDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
