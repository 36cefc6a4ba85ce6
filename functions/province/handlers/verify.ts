/** `POST /v1/codes/verify` (public): 200 with a verification result for any well-formed request. */
import type { VerificationRequest } from '../../core/schemas/types.gen';
import { isVerificationRequest, requireValid } from '../../core/schemas/validators';
import { httpHandler, json, lazyHandler } from '../../http';
import { routeOf } from '../../routes';
import { verify } from '../codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';

const route = routeOf('province-verify');

export const create = (deps: ProvinceDeps) =>
  httpHandler<VerificationRequest>({ route, schema: requireValid(isVerificationRequest) }, async (event) =>
    json(200, await verify(deps, event.parsed)),
  );

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = provinceDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
