/**
 * `POST /v1/provinces/{region}/suspend` (operator): suspend a province. Its signed requests are
 * refused from now on and its codes verify as `ISSUER_SUSPENDED`; repeating it changes nothing.
 * Only the operator reaches it (API Gateway IAM authorization, a bearer token locally).
 */
import { isProvinceRegion } from '../../core/schemas/validators';
import { kmsSignerFor } from '../../aws/kms-signer';
import { s3TrustListSinkFor } from '../../aws/s3-trust-list-sink';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { suspendProvince } from '../service';
import { httpHandler, json, lazyHandler, pathParam } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-suspend-province');

export const create = (deps: ExchangeDeps) =>
  httpHandler({ route }, async (event) =>
    json(200, await suspendProvince(deps, pathParam(event, 'region', isProvinceRegion))),
  );

/** Dependencies from the Lambda environment (no I/O), with the KMS signer and the S3 sink this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor, s3Sink: s3TrustListSinkFor });

export const handler = lazyHandler(() => create(fromEnv()));
