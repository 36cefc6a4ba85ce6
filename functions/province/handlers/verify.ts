/** `POST /v1/codes/verify` (public): 200 with a verification result for any well-formed request. */
import type { VerificationRequest } from '../../core/schemas/types.gen';
import { isVerificationRequest, requireValid } from '../../core/schemas/validators';
import { httpHandler, json, lazyHandler } from '../../http';
import { verify } from '../codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';
import { withMetrics } from '../http';

export const create = (deps: ProvinceDeps) =>
  httpHandler<VerificationRequest>(
    {
      body: { types: ['application/json'], maxBytes: 4 * 1024 },
      schema: requireValid(isVerificationRequest),
    },
    async (event) => withMetrics(async () => json(200, await verify(deps, event.parsed))),
  );

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = provinceDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
