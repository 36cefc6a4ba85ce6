/** `POST /v1/provinces/{region}/keys/{kid}/revoke`: revoke a signing key (signed, op `key.revoke`). */
import { isProvinceRegion, isKid } from '../../core/schemas/validators';
import { kmsSignerFor } from '../../aws/kms-signer';
import { s3TrustListSinkFor } from '../../aws/s3-trust-list-sink';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { revokeKey } from '../service';
import { httpHandler, json, lazyHandler, pathParam } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-revoke-key');

export const create = (deps: ExchangeDeps) =>
  httpHandler<string>({ route }, async (event) => {
    const region = pathParam(event, 'region', isProvinceRegion);
    const kid = pathParam(event, 'kid', isKid);
    return json(200, await revokeKey(deps, region, kid, event.parsed));
  });

/** Dependencies from the Lambda environment (no I/O), with the KMS signer and the S3 sink this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor, s3Sink: s3TrustListSinkFor });

export const handler = lazyHandler(() => create(fromEnv()));
