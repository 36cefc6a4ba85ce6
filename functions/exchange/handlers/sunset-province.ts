/**
 * `POST /v1/provinces/{region}/sunset`: a province ends its service (signed request, op
 * `province.sunset`): its keys are retired and its codes verify as `ISSUER_SUNSET`.
 */
import { isProvinceRegion } from '../../core/schemas/validators';
import { kmsSignerFor } from '../../aws/kms-signer';
import { s3TrustListSinkFor } from '../../aws/s3-trust-list-sink';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { sunsetProvince } from '../sunset';
import { httpHandler, json, lazyHandler, pathParam } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-sunset-province');

export const create = (deps: ExchangeDeps) =>
  httpHandler<string>({ route }, async (event) =>
    json(200, await sunsetProvince(deps, pathParam(event, 'region', isProvinceRegion), event.parsed)),
  );

/** Dependencies from the Lambda environment (no I/O), with the KMS signer and the S3 sink this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor, s3Sink: s3TrustListSinkFor });

export const handler = lazyHandler(() => create(fromEnv()));
