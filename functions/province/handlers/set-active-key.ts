/**
 * `POST /v1/issuer-keys/{kid}/activate` (province-internal): rotation step 3, switch issuance to
 * another held key once the trust list carries it (`province/active-key.ts`); 200 `{ kid, activeSince }`.
 */
import { kmsSignerFor } from '../../aws/kms-signer';
import { isKid } from '../../core/schemas/validators';
import { httpHandler, json, lazyHandler, pathParam } from '../../http';
import { routeOf } from '../../routes';
import { switchActiveKey } from '../active-key';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';

const route = routeOf('province-set-active-key');

export const create = (deps: ProvinceDeps) =>
  httpHandler({ route }, async (event) =>
    json(200, await switchActiveKey(deps, pathParam(event, 'kid', isKid))),
  );

/** Dependencies from the Lambda environment (no I/O), with the KMS public keys of the issuer keys. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ProvinceDeps =>
  provinceDepsFromEnv(env, { kmsSigner: kmsSignerFor });

export const handler = lazyHandler(() => create(fromEnv()));
