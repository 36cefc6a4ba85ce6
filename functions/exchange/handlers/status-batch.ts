/**
 * `GET /v1/status-batches/{hash}`: a stored status batch, verbatim. Content-addressed (the hash is
 * what the log and the trust list commit to), so it is immutable and cached for good; serving it
 * signs nothing.
 */
import { ResourceNotFound } from '../../core/errors';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { statusBatch } from '../status';
import { httpHandler, jose, lazyHandler, pathParam } from '../../http';
import { routeOf } from '../../routes';

const SHA256 = /^[A-Za-z0-9_-]{43}$/;
// Cache policy (immutable: content-addressed): functions/routes.ts.
const route = routeOf('exchange-status-batch');

export const create = (deps: ExchangeDeps) =>
  httpHandler({ route }, async (event) => {
    const batch = await statusBatch(deps, pathParam(event, 'hash', SHA256));
    if (batch === undefined) throw new ResourceNotFound('No status batch has this hash');
    return jose(200, batch);
  });

/** Dependencies from the Lambda environment (no I/O); this function holds no federation key. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps => exchangeDepsFromEnv(env);

export const handler = lazyHandler(() => create(fromEnv()));
