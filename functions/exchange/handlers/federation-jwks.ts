/**
 * `GET /.well-known/jwks.json`: the federation public key(s) as a plain JWKS, for standard JWKS
 * clients (e.g. jose's `createRemoteJWKSet`). A convenience only: a verifier pins the federation
 * keys it was given out of band, and must never take them from the network it is protecting itself
 * against (docs/contract.md).
 */
import { kmsSignerFor } from '../../aws/kms-signer';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { federationInfo } from '../service';
import { httpHandler, json, lazyHandler } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-federation-jwks');

export const create = (deps: ExchangeDeps) =>
  httpHandler({ route }, async () => json(200, (await federationInfo(deps)).keys));

/** Dependencies from the Lambda environment (no I/O), with the KMS signer this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor });

export const handler = lazyHandler(() => create(fromEnv()));
