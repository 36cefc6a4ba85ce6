/** `POST /v1/codes/{codeId}/revoke` (province-internal): revoke one code and publish it via the exchange. */
import { httpHandler, json, lazyHandler } from '../../http';
import { routeOf } from '../../routes';
import { revoke } from '../codes';
import { secretSignerFor } from '../../aws/enrollment-secret';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';
import { codeIdParam } from '../http';

const route = routeOf('province-revoke-code');

export const create = (deps: ProvinceDeps) =>
  httpHandler({ route }, async (event) => json(200, await revoke(deps, codeIdParam(event))));

/** Dependencies from the Lambda environment (no I/O), with the enrollment key from Secrets Manager. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ProvinceDeps =>
  provinceDepsFromEnv(env, { secretSigner: secretSignerFor });

export const handler = lazyHandler(() => create(fromEnv()));
