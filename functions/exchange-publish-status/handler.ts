/** `POST /v1/provinces/{region}/status-segments`: publish status segments (signed request, op `status.publish`). */
import { STATUS_REQUEST_PROFILE } from '../core/profiles';
import { isProvinceRegion } from '../core/schemas/validators';
import { kmsSignerFor } from '../core/kms-signer';
import { s3TrustListSinkFor } from '../exchange/s3-trust-list-sink';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../exchange/deps';
import { publishStatus } from '../exchange/status';
import { httpHandler, json, lazyHandler, pathParam } from '../http';

export const create = (deps: ExchangeDeps) =>
  httpHandler<string>(
    { body: { types: ['application/jose'], maxBytes: STATUS_REQUEST_PROFILE.maxLength } },
    async (event) =>
      json(200, await publishStatus(deps, pathParam(event, 'region', isProvinceRegion), event.parsed)),
  );

/** Dependencies from the Lambda environment (no I/O), with the KMS signer and the S3 sink this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor, s3Sink: s3TrustListSinkFor });

export const handler = lazyHandler(() => create(fromEnv()));
