/**
 * `POST /v1/provinces` (operator): register a province `{ region, name, enrollmentKey }`.
 * Only the operator reaches it: API Gateway IAM authorization in AWS, a bearer token in the
 * embedded runtime, so the handler does not check the caller itself.
 */
import { SCHEMA_IDS, type ProvinceRegistration } from '../core/schemas/validators';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../exchange/deps';
import { registerProvince } from '../exchange/service';
import { httpHandler, json, lazyHandler } from '../http';

export const create = (deps: ExchangeDeps) =>
  httpHandler<ProvinceRegistration>(
    { body: { types: ['application/json'], maxBytes: 4096 }, schema: SCHEMA_IDS.provinceRegistration },
    async (event) => json(201, await registerProvince(deps, event.parsed)),
  );

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = exchangeDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
