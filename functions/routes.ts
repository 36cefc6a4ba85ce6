/**
 * The route table: every HTTP route of the exchange and of a province node, and the scheduled
 * functions. One source for the CDK stacks (one Lambda per entry), the embedded runtime's router,
 * and the generated OpenAPI document.
 */

import { REQUEST_PROFILE, STATUS_REQUEST_PROFILE } from './core/profiles';

/** Who may call a route. `operator` and `internal` are IAM-authorized in AWS (bearer tokens locally). */
export type RouteAuth = 'public' | 'operator' | 'signed' | 'internal';

/** The service a route belongs to. */
export type Service = 'exchange' | 'province';

/** `$id` of the trust-list version schema (a log size): the type of `since` query parameters. */
const TRUST_LIST_VERSION = 'https://hcx.example/schemas/trust-list.json#/$defs/version';

/**
 * A query parameter a route reads. The handler chain checks it (400 `REQUEST_INVALID` otherwise, see
 * functions/http/event.ts `queryOf`) and the OpenAPI document describes it, both from here.
 */
export type QueryParameter =
  | {
      readonly name: string;
      readonly description: string;
      /** A non-negative integer of at most 12 digits, within `min`..`max` when given. */
      readonly type: 'integer';
      readonly min?: number;
      readonly max?: number;
      /** The value when the parameter is absent. */
      readonly default?: number;
      /** `$id` of the schema that describes it in OpenAPI (else an integer with `min`/`max`). */
      readonly schema?: string;
    }
  | {
      readonly name: string;
      readonly description: string;
      /** One of `values`. */
      readonly type: 'enum';
      readonly values: readonly string[];
    };

/** One HTTP route, served by one Lambda whose code is {@link handlerEntry} (`functions/<service>/handlers/<name>.ts`). */
export interface RouteDefinition {
  readonly service: Service;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway path template, e.g. `/v1/provinces/{region}/keys`. */
  readonly path: string;
  /**
   * Function name, `<service>-<name>`: the Lambda's name and logical id, the embedded runtime's key,
   * and (through {@link handlerEntry}) where its code is, `functions/<service>/handlers/<name>.ts`.
   */
  readonly fn: string;
  readonly auth: RouteAuth;
  readonly summary: string;
  /** `$id` of the request body schema, when the route takes a body. */
  readonly requestSchema?: string;
  /** Content type of the request body (the only one the route takes: 415 otherwise). */
  readonly requestType?: 'application/json' | 'application/jose';
  /** Body cap in bytes, with `requestType` (413 `REQUEST_TOO_LARGE` above it, before parsing). */
  readonly maxBodyBytes?: number;
  /** `cache-control` of a success answer; default `no-store` (functions/http/security-headers.ts). */
  readonly cacheControl?: string;
  /** Query parameters the route reads; any other is ignored. */
  readonly query?: readonly QueryParameter[];
  /** Answers `ETag` and, to a matching `If-None-Match`, `304`. */
  readonly conditional?: true;
  /** `$id` of the success response schema, when it is JSON. */
  readonly responseSchema?: string;
  /** Content type of the success response. */
  readonly responseType?: 'application/json' | 'application/jose' | 'application/jwk-set+json';
  /** Success status. */
  readonly successStatus: 200 | 201 | 204;
}

/** A function run on a schedule rather than by a route. */
export interface ScheduledDefinition {
  readonly service: Service;
  /** Function name, `<service>-<name>`, as for a route. */
  readonly fn: string;
  readonly summary: string;
  /** Minutes between runs in AWS. */
  readonly everyMinutes: number;
}

const S = 'https://hcx.example/schemas/';

export const ROUTES: readonly RouteDefinition[] = [
  // exchange
  {
    service: 'exchange',
    method: 'GET',
    path: '/v1/federation',
    fn: 'exchange-federation',
    auth: 'public',
    summary: 'Federation id and the federation public keys (JWKS)',
    responseSchema: `${S}federation-info.json`,
    responseType: 'application/json',
    cacheControl: 'public, max-age=300',
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'GET',
    path: '/.well-known/jwks.json',
    fn: 'exchange-federation-jwks',
    auth: 'public',
    summary:
      'The federation public keys as a plain JWKS, for standard JWKS clients (a convenience: pin the keys you were given)',
    responseType: 'application/jwk-set+json',
    cacheControl: 'public, max-age=300',
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'POST',
    path: '/v1/provinces',
    fn: 'exchange-register-province',
    auth: 'operator',
    summary: 'Register a province with its enrollment key',
    requestSchema: `${S}province-registration.json`,
    requestType: 'application/json',
    responseSchema: `${S}province.json`,
    responseType: 'application/json',
    maxBodyBytes: 4 * 1024,
    successStatus: 201,
  },
  {
    service: 'exchange',
    method: 'GET',
    path: '/v1/provinces',
    fn: 'exchange-list-provinces',
    auth: 'public',
    summary: 'Provinces and their status',
    responseSchema: `${S}province-list.json`,
    responseType: 'application/json',
    cacheControl: 'public, max-age=60',
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'POST',
    path: '/v1/provinces/{region}/suspend',
    fn: 'exchange-suspend-province',
    auth: 'operator',
    summary: 'Suspend a province: its signed requests are refused, its codes verify as ISSUER_SUSPENDED',
    responseSchema: `${S}province-suspension.json`,
    responseType: 'application/json',
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'POST',
    path: '/v1/provinces/{region}/enrollment-key',
    fn: 'exchange-reenroll-province',
    auth: 'operator',
    summary:
      'Re-enroll a suspended province under a new enrollment key (its old one leaked): the old key signs nothing from now on',
    requestSchema: `${S}province-reenrollment.json`,
    requestType: 'application/json',
    maxBodyBytes: 4 * 1024,
    responseSchema: `${S}province.json`,
    responseType: 'application/json',
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'POST',
    path: '/v1/provinces/{region}/resume',
    fn: 'exchange-resume-province',
    auth: 'operator',
    summary: 'Resume a suspended province: its signed requests are accepted again, its codes verify',
    responseSchema: `${S}province-resumption.json`,
    responseType: 'application/json',
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'POST',
    path: '/v1/provinces/{region}/keys',
    fn: 'exchange-publish-key',
    auth: 'signed',
    summary: 'Publish a signing key (signed request, op key.publish)',
    requestType: 'application/jose',
    responseSchema: `${S}published-key.json`,
    responseType: 'application/json',
    maxBodyBytes: REQUEST_PROFILE.maxLength,
    successStatus: 201,
  },
  {
    service: 'exchange',
    method: 'POST',
    path: '/v1/provinces/{region}/keys/{kid}/revoke',
    fn: 'exchange-revoke-key',
    auth: 'signed',
    summary: 'Revoke a signing key (signed request, op key.revoke)',
    requestType: 'application/jose',
    responseSchema: `${S}revoked-key.json`,
    responseType: 'application/json',
    maxBodyBytes: REQUEST_PROFILE.maxLength,
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'POST',
    path: '/v1/provinces/{region}/code-revocations',
    fn: 'exchange-revoke-codes',
    auth: 'signed',
    summary: 'Revoke codes (signed request, op code.revoke)',
    requestType: 'application/jose',
    responseSchema: `${S}code-revocations-result.json`,
    responseType: 'application/json',
    maxBodyBytes: REQUEST_PROFILE.maxLength,
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'POST',
    path: '/v1/provinces/{region}/sunset',
    fn: 'exchange-sunset-province',
    auth: 'signed',
    summary:
      'A province ends its service: every key retired, its codes verify as ISSUER_SUNSET (signed request, op province.sunset)',
    requestType: 'application/jose',
    responseType: 'application/json',
    responseSchema: `${S}exchange-province-sunset.json`,
    maxBodyBytes: REQUEST_PROFILE.maxLength,
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'POST',
    path: '/v1/provinces/{region}/retention',
    fn: 'exchange-province-retention',
    auth: 'signed',
    summary:
      'A province states its retention policy changed since its registration (signed request, op province.retention); the trust list shows it',
    requestType: 'application/jose',
    responseType: 'application/json',
    responseSchema: `${S}exchange-province-retention.json`,
    maxBodyBytes: REQUEST_PROFILE.maxLength,
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'POST',
    path: '/v1/federation/sunset',
    fn: 'exchange-sunset-federation',
    auth: 'operator',
    summary:
      'End the federation: final trust list with a sunset marker, operational data erased, federation key destroyed; answers the signed deletion report',
    responseType: 'application/json',
    responseSchema: `${S}federation-sunset.json`,
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'POST',
    path: '/v1/provinces/{region}/status-segments',
    fn: 'exchange-publish-status',
    auth: 'signed',
    summary:
      'Publish status segments: revoke codes by status index, up to 32 segments of 2^20 indices per request (signed request, op status.publish)',
    requestType: 'application/jose',
    maxBodyBytes: STATUS_REQUEST_PROFILE.maxLength,
    responseType: 'application/json',
    responseSchema: `${S}status-publish-result.json`,
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'GET',
    path: '/v1/status-batches/{hash}',
    fn: 'exchange-status-batch',
    auth: 'public',
    summary: 'A status batch (the signed status.publish request, verbatim) by the SHA-256 the log commits to',
    responseType: 'application/jose',
    // Content-addressed, so immutable.
    cacheControl: 'public, max-age=31536000, immutable',
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'GET',
    path: '/v1/provinces/{region}/jwks.json',
    fn: 'exchange-province-jwks',
    auth: 'public',
    summary: "A province's current public signing keys",
    responseType: 'application/jwk-set+json',
    cacheControl: 'public, max-age=60',
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'GET',
    path: '/v1/trust-list',
    fn: 'exchange-trust-list',
    auth: 'public',
    summary: 'The signed trust list; `?since=` for a signed delta',
    responseType: 'application/jose',
    cacheControl: 'public, max-age=60',
    query: [
      {
        name: 'since',
        description:
          'Answer a signed delta (typ hcx-trust-list-delta+jws) from this version instead of the full list',
        type: 'integer',
        schema: TRUST_LIST_VERSION,
      },
    ],
    conditional: true,
    successStatus: 200,
  },
  {
    service: 'exchange',
    method: 'GET',
    path: '/v1/log',
    fn: 'exchange-log',
    auth: 'public',
    summary: 'Transparency log entries, `?since=` and `?limit=`',
    responseSchema: `${S}log-page.json`,
    responseType: 'application/json',
    query: [
      {
        name: 'since',
        description: 'Entries after this log size',
        type: 'integer',
        schema: TRUST_LIST_VERSION,
      },
      // max: schemas/log-page.json's maxItems (test/core/caps-schema.test.ts checks they agree)
      { name: 'limit', description: 'Page size', type: 'integer', min: 1, max: 1000, default: 100 },
    ],
    successStatus: 200,
  },
  // province node
  {
    service: 'province',
    method: 'POST',
    path: '/v1/codes',
    fn: 'province-issue',
    auth: 'internal',
    summary: 'Issue a code from the holder identity elements and a status',
    requestSchema: `${S}issue-request.json`,
    requestType: 'application/json',
    responseSchema: `${S}issue-response.json`,
    responseType: 'application/json',
    maxBodyBytes: 8 * 1024,
    successStatus: 201,
  },
  {
    service: 'province',
    method: 'POST',
    path: '/v1/codes/verify',
    fn: 'province-verify',
    auth: 'public',
    summary: "Verify any province's code",
    requestSchema: `${S}verification-request.json`,
    requestType: 'application/json',
    responseSchema: `${S}verification-result.json`,
    responseType: 'application/json',
    maxBodyBytes: 4 * 1024,
    successStatus: 200,
  },
  {
    service: 'province',
    method: 'POST',
    path: '/v1/codes/{codeId}/revoke',
    fn: 'province-revoke-code',
    auth: 'internal',
    summary: 'Revoke one code and publish the revocation through the exchange',
    responseSchema: `${S}code-record.json`,
    responseType: 'application/json',
    successStatus: 200,
  },
  {
    service: 'province',
    method: 'GET',
    path: '/v1/codes/{codeId}',
    fn: 'province-get-code',
    auth: 'internal',
    summary: 'What is held about one code',
    responseSchema: `${S}code-record.json`,
    responseType: 'application/json',
    successStatus: 200,
  },
  {
    service: 'province',
    method: 'DELETE',
    path: '/v1/codes/{codeId}',
    fn: 'province-erase-code',
    auth: 'internal',
    summary: 'Erase what is held about one code',
    successStatus: 204,
  },
  {
    service: 'province',
    method: 'POST',
    path: '/v1/sunset',
    fn: 'province-sunset',
    auth: 'internal',
    summary:
      "End this province's service: issuance stops, keys retired at the exchange, records erased, keys destroyed; answers the signed deletion report",
    responseType: 'application/json',
    responseSchema: `${S}province-sunset.json`,
    successStatus: 200,
  },
  {
    service: 'province',
    method: 'GET',
    path: '/v1/registry',
    fn: 'province-registry',
    auth: 'internal',
    summary: 'Replica version, age and last sync result (and, with ?audit=true, a check of its evidence)',
    responseSchema: `${S}registry-status.json`,
    responseType: 'application/json',
    query: [
      {
        name: 'audit',
        description:
          'true: also re-derive the replica from its signed evidence and say whether it matches (`audit`)',
        type: 'enum',
        values: ['true', 'false'],
      },
    ],
    successStatus: 200,
  },
  {
    service: 'province',
    method: 'POST',
    path: '/v1/issuer-keys/{kid}/activate',
    fn: 'province-set-active-key',
    auth: 'internal',
    summary:
      'Key rotation step 3: sign new codes with this held key, once the trust list carries it as active (409 ISSUER_KEY_NOT_HELD, KEY_NOT_VISIBLE)',
    responseType: 'application/json',
    responseSchema: `${S}active-key.json`,
    successStatus: 200,
  },
];

export const SCHEDULED: readonly ScheduledDefinition[] = [
  {
    service: 'exchange',
    fn: 'exchange-publish-trust-list',
    summary: 'Re-sign the trust list and publish it to S3, so the copy CloudFront serves never expires',
    // The list is re-issued every 15 minutes (REISSUE_SECONDS) and lives 24 hours.
    everyMinutes: 15,
  },
  {
    service: 'province',
    fn: 'province-sync',
    summary: 'Pull the signed trust-list delta and update the replica',
    everyMinutes: 1,
  },
];

/** Routes of one service. */
export function routesOf(service: Service): RouteDefinition[] {
  return ROUTES.filter((r) => r.service === service);
}

/** Scheduled functions of one service. */
export function scheduledFunctionsOf(service: Service): ScheduledDefinition[] {
  return SCHEDULED.filter((s) => s.service === service);
}

/** The route of function `fn` (a handler names its own route); throws when the table has none. */
export function routeOf(fn: string): RouteDefinition {
  const route = ROUTES.find((r) => r.fn === fn);
  if (!route) throw new Error(`no route ${fn} in functions/routes.ts`);
  return route;
}

/** The scheduled function `fn`; throws when the table has none. */
export function scheduledOf(fn: string): ScheduledDefinition {
  const def = SCHEDULED.find((s) => s.fn === fn);
  if (!def) throw new Error(`no scheduled function ${fn} in functions/routes.ts`);
  return def;
}

/** What {@link handlerEntry} needs: a route or a scheduled function. */
export type FunctionDefinition = Pick<RouteDefinition | ScheduledDefinition, 'service' | 'fn'>;

/**
 * Where a function's code is, relative to the project root: `functions/<service>/handlers/<name>.ts`
 * for `fn` = `<service>-<name>`. The one place that spells a handler path: the CDK Lambda entry, the
 * embedded wiring, the soak script, the cold-start bench and the tests all ask here. The module
 * exports `create(deps)`, `fromEnv()` and `handler`.
 */
export function handlerEntry(def: FunctionDefinition): string {
  const prefix = `${def.service}-`;
  if (!def.fn.startsWith(prefix) || def.fn.length === prefix.length) {
    throw new Error(`function ${def.fn} must be named ${prefix}<name>`);
  }
  return `functions/${def.service}/handlers/${def.fn.slice(prefix.length)}.ts`;
}

/** Every function of `service`: its routes, then its scheduled functions. */
export function functionsOf(service: Service): FunctionDefinition[] {
  return [...routesOf(service), ...scheduledFunctionsOf(service)];
}
