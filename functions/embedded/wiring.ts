/**
 * Where the embedded runtime meets the domain: the `create(deps)` call of every handler and the
 * first-start provisioning. `bin/start.ts` passes these two hooks to `startFederation`.
 *
 * Until the handlers' dependency objects exist, these are placeholders: every route answers
 * `501 NOT_IMPLEMENTED` and nothing is provisioned. Replace them here, nowhere else.
 */
import type { FederationContext, Provisioned, ServiceHandlersMap } from './federation';

/** False while the hooks below are placeholders (`npm start` says so). */
export const WIRED = false;

/** Build every instance's handlers from the federation context (clients, tables, URLs, key folder). */
export function buildHandlers(context: FederationContext): ServiceHandlersMap {
  return {
    exchange: { routes: {} },
    provinces: Object.fromEntries(context.provinces.map((p) => [p.region, { routes: {} }])),
  };
}

/** Create or load the federation key, onboard the provinces, publish their first keys (idempotent). */
export async function provision(_context: FederationContext): Promise<Provisioned> {
  return { federationId: 'unprovisioned', federationJwks: { keys: [] }, enrollmentKeyFiles: {} };
}
