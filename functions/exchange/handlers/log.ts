/** `GET /v1/log?since=&limit=`: a page of transparency-log entries. */
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { readLogPage } from '../service';
import { httpHandler, json, lazyHandler, queryInteger } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-log');

export const create = (deps: ExchangeDeps) =>
  httpHandler({ route }, async (event) => {
    const since = queryInteger(event, route, 'since') ?? 0;
    const limit = queryInteger(event, route, 'limit')!; // declared with a default
    return json(200, await readLogPage(deps, since, limit));
  });

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = exchangeDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
