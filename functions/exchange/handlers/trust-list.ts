/**
 * `GET /v1/trust-list`: the signed trust list (`ETag`, `If-None-Match` -> 304), or with
 * `?since=<version>` the signed delta of the log entries after that version.
 */
import { kmsSignerFor } from '../../aws/kms-signer';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { httpHandler, header, jose, lazyHandler, queryInteger } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-trust-list');

// Cache policy (also on the 304) and the `since` parameter: functions/routes.ts.

/** True when an `If-None-Match` value names `etag` (or is `*`). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((t) => ['*', etag].includes(t.trim().replace(/^W\//, '')));
}

export const create = (deps: ExchangeDeps) =>
  httpHandler({ route }, async (event) => {
    const since = queryInteger(event, route, 'since');
    if (since !== undefined) return jose(200, await deps.trustLists.delta(since));
    const doc = await deps.trustLists.current();
    const headers = { etag: doc.etag };
    if (matches(header(event, 'if-none-match'), doc.etag)) return { statusCode: 304, headers };
    return jose(200, doc.jws, headers);
  });

/** Dependencies from the Lambda environment (no I/O), with the KMS signer this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor });

export const handler = lazyHandler(() => create(fromEnv()));
