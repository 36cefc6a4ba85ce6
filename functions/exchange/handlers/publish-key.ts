/** `POST /v1/provinces/{region}/keys`: publish a signing key (signed request, op `key.publish`). */
import { isProvinceRegion } from '../../core/schemas/validators';
import { kmsSignerFor } from '../../aws/kms-signer';
import { s3TrustListSinkFor } from '../../aws/s3-trust-list-sink';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { publishKey } from '../service';
import { httpHandler, json, lazyHandler, pathParam } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-publish-key');

export const create = (deps: ExchangeDeps) =>
  httpHandler<string>({ route }, async (event) =>
    json(201, await publishKey(deps, pathParam(event, 'region', isProvinceRegion), event.parsed)),
  );

/** Dependencies from the Lambda environment (no I/O), with the KMS signer and the S3 sink this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor, s3Sink: s3TrustListSinkFor });

export const handler = lazyHandler(() => create(fromEnv()));
