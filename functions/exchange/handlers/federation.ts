/** `GET /v1/federation`: the federation id, its public key(s) as a JWKS, and its limits. */
import { kmsSignerFor } from '../../aws/kms-signer';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { federationInfo } from '../service';
import { httpHandler, json, lazyHandler } from '../../http';

export const create = (deps: ExchangeDeps) =>
  httpHandler({}, async () =>
    json(200, await federationInfo(deps), { 'cache-control': 'public, max-age=300' }),
  );

/** Dependencies from the Lambda environment (no I/O), with the KMS signer this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor });

export const handler = lazyHandler(() => create(fromEnv()));
