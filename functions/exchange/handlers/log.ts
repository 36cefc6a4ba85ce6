/** `GET /v1/log?since=&limit=`: a page of transparency-log entries. */
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { LOG_PAGE, readLogPage } from '../service';
import { httpHandler, json, lazyHandler, queryParam } from '../../http';

const COUNT = /[0-9]{1,12}/;

export const create = (deps: ExchangeDeps) =>
  httpHandler({}, async (event) => {
    const since = Number(queryParam(event, 'since', COUNT) ?? 0);
    const limit = Number(
      queryParam(event, 'limit', (v) => COUNT.test(v) && +v >= 1 && +v <= LOG_PAGE.max) ?? LOG_PAGE.default,
    );
    return json(200, await readLogPage(deps, since, limit));
  });

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = exchangeDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
