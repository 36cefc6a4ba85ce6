/** `DELETE /v1/codes/{codeId}` (province-internal): erase what is held; the code stays verifiable. */
import { httpHandler, lazyHandler, noContent } from '../../http';
import { routeOf } from '../../routes';
import { erase } from '../codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';
import { codeIdParam } from '../http';

const route = routeOf('province-erase-code');

export const create = (deps: ProvinceDeps) =>
  httpHandler({ route }, async (event) => {
    await erase(deps, codeIdParam(event));
    return noContent();
  });

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = provinceDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
