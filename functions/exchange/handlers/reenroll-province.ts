/**
 * `POST /v1/provinces/{region}/enrollment-key` (operator): re-enroll a suspended province under a
 * new enrollment key `{ enrollmentKey }` (its old one leaked). The old key signs nothing from now on;
 * the province stays suspended until resumed. Only the operator reaches it (API Gateway IAM
 * authorization in AWS, a bearer token in the embedded runtime).
 */
import {
  isProvinceReenrollment,
  isProvinceRegion,
  requireValid,
  type ProvinceReenrollment,
} from '../../core/schemas/validators';
import { kmsSignerFor } from '../../aws/kms-signer';
import { s3TrustListSinkFor } from '../../aws/s3-trust-list-sink';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { reenrollProvince } from '../service';
import { httpHandler, json, lazyHandler, pathParam } from '../../http';
import { routeOf } from '../../routes';

const route = routeOf('exchange-reenroll-province');

export const create = (deps: ExchangeDeps) =>
  httpHandler<ProvinceReenrollment>({ route, schema: requireValid(isProvinceReenrollment) }, async (event) =>
    json(
      200,
      await reenrollProvince(deps, pathParam(event, 'region', isProvinceRegion), event.parsed.enrollmentKey),
    ),
  );

/** Dependencies from the Lambda environment (no I/O), with the KMS signer and the S3 sink this function uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor, s3Sink: s3TrustListSinkFor });

export const handler = lazyHandler(() => create(fromEnv()));
