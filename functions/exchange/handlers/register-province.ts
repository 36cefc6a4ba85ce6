/**
 * `POST /v1/provinces` (operator): register a province `{ region, name, enrollmentKey }`.
 * Only the operator reaches it: API Gateway IAM authorization in AWS, a bearer token in the
 * embedded runtime, so the handler does not check the caller itself.
 */
import {
  isProvinceRegistration,
  requireValid,
  type ProvinceRegistration,
} from '../../core/schemas/validators';
import { kmsSignerFor } from '../../aws/kms-signer';
import { s3TrustListSinkFor } from '../../aws/s3-trust-list-sink';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { registerProvince } from '../service';
import { httpHandler, json, lazyHandler } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-register-province');

export const create = (deps: ExchangeDeps) =>
  httpHandler<ProvinceRegistration>({ route, schema: requireValid(isProvinceRegistration) }, async (event) =>
    json(201, await registerProvince(deps, event.parsed)),
  );

/** Dependencies from the Lambda environment (no I/O), with the KMS signer and the S3 sink this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor, s3Sink: s3TrustListSinkFor });

export const handler = lazyHandler(() => create(fromEnv()));
