/**
 * `GET /v1/registry` (province-internal): replica version, age, expiry and the last sync result;
 * with `?audit=true`, also whether the stored replica re-derives from its signed evidence
 * (`province/replica-audit.ts`).
 */
import { httpHandler, json, lazyHandler, queryEnum } from '../../http';
import { routeOf } from '../../routes';
import { registryStatus } from '../codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';
import { auditReplica } from '../replica-audit';

const route = routeOf('province-registry');

export const create = (deps: ProvinceDeps) =>
  httpHandler({ route }, async (event) => {
    const status = await registryStatus(deps);
    if (queryEnum(event, route, 'audit') !== 'true') return json(200, status);
    const audit = await auditReplica(await deps.repository.getReplica(), deps.federationKeys);
    return json(200, { ...status, audit });
  });

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = provinceDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
