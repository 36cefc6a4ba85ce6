/** `GET /v1/federation`: the federation id, its public key(s) as a JWKS, and its limits. */
import { kmsSignerFor } from '../../aws/kms-signer';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { federationInfo } from '../service';
import { httpHandler, json, lazyHandler } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-federation');

export const create = (deps: ExchangeDeps) =>
  httpHandler({ route }, async () => json(200, await federationInfo(deps)));

/** Dependencies from the Lambda environment (no I/O), with the KMS signer this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor });

export const handler = lazyHandler(() => create(fromEnv()));
