/**
 * `POST /v1/codes/verify` (public): 200 with a verification result for any well-formed request. A
 * holder check counts against the caller (its IAM principal, else its source address, kept only as a
 * keyed hash: ../caller-limit.ts).
 */
import { callerOf } from '../../core/caller-tag';
import type { VerificationRequest } from '../../core/schemas/types.gen';
import { isVerificationRequest, requireValid } from '../../core/schemas/validators';
import { callerIdentity, httpHandler, json, lazyHandler } from '../../http';
import { routeOf } from '../../routes';
import { verify } from '../codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';

const route = routeOf('province-verify');

export const create = (deps: ProvinceDeps) =>
  httpHandler<VerificationRequest>({ route, schema: requireValid(isVerificationRequest) }, async (event) =>
    json(
      200,
      await verify(deps, event.parsed, () =>
        callerOf(event.requestContext?.http?.sourceIp, callerIdentity(event)),
      ),
    ),
  );

/**
 * Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily.
 * Secrets Manager is loaded on the first holder check only (the caller limit's node secret).
 */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env) =>
  provinceDepsFromEnv(env, {
    secretString: async (id) => (await import('../../aws/enrollment-secret')).secretStringFor(id),
  });

export const handler = lazyHandler(() => create(fromEnv()));
