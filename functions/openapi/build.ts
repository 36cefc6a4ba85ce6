/**
 * The OpenAPI 3.1 document of the exchange and the province node, generated from the two sources of
 * truth: the JSON Schemas (schemas/, via SCHEMA_DOCUMENTS) and the route table (functions/routes.ts).
 * Nothing here describes a route by hand: bodies, query parameters and conditional requests all come
 * from the route table.
 *
 * `scripts/gen-openapi.ts` writes it to docs/openapi.json; the runtime serves it at `GET /openapi.json`.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ERROR_CODES, ERRORS as CATALOGUE } from '../core/error-catalogue';
import { REQUEST_PROFILE, TRUST_LIST_PROFILE } from '../core/profiles';
import { SCHEMA_DOCUMENTS, SCHEMA_IDS } from '../core/schemas/validators';
import { ROUTES, type QueryParameter, type RouteDefinition, type Service } from '../routes';
import { COMPONENT_REF, schemaComponents } from './components';

type JsonObject = Record<string, unknown>;

/** Version of the API described (the contract version, not the package version). */
export const API_VERSION = '1.0.0';

/** Tag and server of each service. */
const SERVICES: Record<Service, { tag: string; description: string; variable: string; port: number }> = {
  exchange: {
    tag: 'exchange',
    description:
      'The national exchange: registers provinces, takes their signed key publications and revocations, ' +
      'keeps the hash-chained log and serves the trust list signed with the federation key.',
    variable: 'exchangeUrl',
    port: 8710,
  },
  province: {
    tag: 'province-node',
    description:
      "A province node: issues its residents' codes and verifies any province's code against its " +
      'replica of the trust list.',
    variable: 'nodeUrl',
    port: 8711,
  },
};

/** Schema of each path parameter name used in the route table. */
const PATH_PARAMETERS: Record<string, { schemaId: string; description: string }> = {
  region: { schemaId: SCHEMA_IDS.provinceRegion, description: 'Province-level GB/T 2260 region code' },
  kid: { schemaId: SCHEMA_IDS.kid, description: 'Key id: RFC 7638 thumbprint of the key' },
  codeId: { schemaId: SCHEMA_IDS.codeId, description: 'Code id (the `jti` claim of the code)' },
  hash: {
    schemaId: 'https://hcx.example/schemas/common.json#/$defs/sha256',
    description: 'SHA-256 (base64url) of the status batch, as the log and the trust list commit to it',
  },
};

/** The OpenAPI schema of a query parameter the route table declares. */
function querySchema(q: QueryParameter): JsonObject {
  if (q.type === 'enum') return { type: 'string', enum: [...q.values] };
  if (q.schema !== undefined) return { $ref: q.schema };
  return { type: 'integer', minimum: q.min ?? 0, ...(q.max !== undefined ? { maximum: q.max } : {}) };
}

/** Error responses, all RFC 9457 problem details. */
const ERRORS = {
  '400': ['BadRequest', 'The request is not valid (body, parameter or signed request shape)'],
  '401': ['Unauthorized', 'Authentication failed (every cause looks the same; the reason is only logged)'],
  '404': ['NotFound', 'No such resource'],
  '409': ['Conflict', 'Already exists, or a signed request replayed'],
  '413': ['PayloadTooLarge', 'The request body is larger than the route allows'],
  '415': ['UnsupportedMediaType', 'The request body has a content type the route does not take'],
  '503': ['ServiceUnavailable', 'A dependency is throttled or down; retry later (`retryable: true`)'],
} as const;
type ErrorStatus = keyof typeof ERRORS;

/** Component name of a schema `$id` (or `$id#/$defs/x`). */
function refTo(names: ReadonlyMap<string, string>, id: string): { $ref: string } {
  const name = names.get(id);
  if (name === undefined) throw new Error(`OpenAPI: no schema component for ${id}`);
  return { $ref: `${COMPONENT_REF}${name}` };
}

/** Resolve `$ref`s written with schema ids (query parameters) to component references. */
function withComponentRefs(schema: JsonObject, names: ReadonlyMap<string, string>): JsonObject {
  return typeof schema.$ref === 'string' ? refTo(names, schema.$ref) : schema;
}

/** The compact-JWS string schemas (requests and trust lists travel as `application/jose`). */
function joseComponents(names: ReadonlyMap<string, string>): Record<string, JsonObject> {
  const compact = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';
  return {
    SignedRequestJws: {
      title: 'SignedRequestJws',
      description:
        `A compact JWS (typ \`${REQUEST_PROFILE.typ}\`) signed with the province's enrollment key; ` +
        `its payload is a SignedRequestPayload (${refTo(names, SCHEMA_IDS.signedRequest).$ref}).`,
      type: 'string',
      pattern: compact,
      maxLength: REQUEST_PROFILE.maxLength,
    },
    TrustListJws: {
      title: 'TrustListJws',
      description:
        `A compact JWS signed with the federation key: typ \`${TRUST_LIST_PROFILE.typ}\` with a ` +
        `TrustList payload, or with \`?since=\` typ \`hcx-trust-list-delta+jws\` with a TrustListDelta payload.`,
      type: 'string',
      pattern: compact,
      maxLength: TRUST_LIST_PROFILE.maxLength,
    },
  };
}

function operationId(fn: string): string {
  return fn.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
}

/** Which problem responses a route can give, from its shape. */
function errorStatuses(route: RouteDefinition): ErrorStatus[] {
  const statuses: ErrorStatus[] = ['400'];
  if (route.auth !== 'public') statuses.push('401');
  if (pathParameterNames(route.path).length > 0) statuses.push('404');
  if (route.method === 'POST' && (route.auth === 'operator' || route.auth === 'signed')) statuses.push('409');
  if (route.requestType) statuses.push('413', '415');
  statuses.push('503');
  return statuses;
}

function successContent(route: RouteDefinition, names: ReadonlyMap<string, string>): JsonObject | undefined {
  switch (route.responseType) {
    case undefined:
      return undefined;
    case 'application/jose':
      return { 'application/jose': { schema: { $ref: `${COMPONENT_REF}TrustListJws` } } };
    case 'application/jwk-set+json':
      return { 'application/jwk-set+json': { schema: refTo(names, SCHEMA_IDS.jwks) } };
    case 'application/json':
      return {
        'application/json': {
          schema: route.responseSchema
            ? refTo(names, route.responseSchema)
            : { type: 'object', description: 'A JSON object (no published schema yet).' },
        },
      };
  }
}

function operation(route: RouteDefinition, names: ReadonlyMap<string, string>): JsonObject {
  const parameters: JsonObject[] = pathParameterNames(route.path).map((name) => {
    const p = PATH_PARAMETERS[name];
    if (!p) throw new Error(`OpenAPI: path parameter {${name}} of ${route.path} has no schema`);
    return { name, in: 'path', required: true, description: p.description, schema: refTo(names, p.schemaId) };
  });
  for (const q of route.query ?? []) {
    parameters.push({
      name: q.name,
      in: 'query',
      required: false,
      description: q.description,
      schema: withComponentRefs(querySchema(q), names),
    });
  }
  if (route.conditional) {
    parameters.push({
      name: 'If-None-Match',
      in: 'header',
      required: false,
      description: 'The ETag of the list the client holds: `304` when it is still current',
      schema: { type: 'string', maxLength: 128 },
    });
  }

  const op: JsonObject = {
    operationId: operationId(route.fn),
    summary: route.summary,
    tags: [SERVICES[route.service].tag],
  };
  if (parameters.length > 0) op.parameters = parameters;

  if (route.requestType) {
    const schema =
      route.requestType === 'application/jose'
        ? { $ref: `${COMPONENT_REF}SignedRequestJws` }
        : route.requestSchema
          ? refTo(names, route.requestSchema)
          : { type: 'object' };
    op.requestBody = { required: true, content: { [route.requestType]: { schema } } };
  }

  const responses: JsonObject = {};
  const success: JsonObject = { description: route.summary };
  const content = successContent(route, names);
  if (content) success.content = content;
  if (route.conditional) success.headers = { ETag: { schema: { type: 'string' } } };
  responses[String(route.successStatus)] = success;
  if (route.conditional) responses['304'] = { description: 'The list named by If-None-Match is current' };
  for (const status of errorStatuses(route))
    responses[status] = { $ref: `#/components/responses/${ERRORS[status][0]}` };
  responses.default = { $ref: '#/components/responses/OtherProblem' };
  op.responses = responses;

  // Operator and province-internal routes: IAM (SigV4) in AWS, a bearer token under `npm start`.
  // Signed routes authenticate the body (a JWS), public routes nothing.
  op.security =
    route.auth === 'operator' || route.auth === 'internal' ? [{ awsSigV4: [] }, { localBearer: [] }] : [];
  if (route.auth === 'signed') {
    op.description =
      "Authenticated by the body: a JWS signed with the province's enrollment key, bound to the path's " +
      'region, the federation (aud), a fresh iat and a one-time jti. All failures answer the same 401.';
  }
  return op;
}

function server(service: Service): JsonObject {
  const s = SERVICES[service];
  return {
    url: `{${s.variable}}`,
    description: service === 'exchange' ? 'The exchange' : 'A province node',
    variables: {
      [s.variable]: {
        default: `http://localhost:${s.port}`,
        description:
          service === 'exchange'
            ? '`npm start` serves the exchange on port 8710'
            : '`npm start` serves Zhejiang on 8711, Guangdong on 8712, Fujian on 8713',
      },
    },
  };
}

/** Build the OpenAPI 3.1 document from schemas/ and the route table. */
export function buildOpenApi(): JsonObject {
  const { schemas, names } = schemaComponents(SCHEMA_DOCUMENTS);
  const paths: Record<string, JsonObject> = {};
  for (const route of ROUTES) {
    const item = (paths[route.path] ??= { servers: [server(route.service)] });
    const method = route.method.toLowerCase();
    if (item[method])
      throw new Error(`OpenAPI: ${route.method} ${route.path} appears twice in the route table`);
    item[method] = operation(route, names);
  }
  paths['/openapi.json'] = {
    servers: [server('exchange'), server('province')],
    get: {
      operationId: 'openApi',
      summary: 'This document',
      tags: [SERVICES.exchange.tag, SERVICES.province.tag],
      security: [],
      responses: {
        '200': {
          description: 'The OpenAPI document',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
        default: { $ref: '#/components/responses/OtherProblem' },
      },
    },
  };

  const responses: Record<string, JsonObject> = {};
  // Problem details whose `code` is one of the catalogue's (docs/contract.md, Errors).
  const problem = {
    'application/problem+json': {
      schema: {
        allOf: [
          refTo(names, SCHEMA_IDS.problemDetails),
          { properties: { code: { $ref: `${COMPONENT_REF}ProblemCode` } } },
        ],
      },
    },
  };
  for (const [status, [name, description]] of Object.entries(ERRORS)) {
    const codes = ERROR_CODES.filter((code) => String(CATALOGUE[code].status) === status);
    responses[name] = {
      description: `${description}. Codes with this status: ${codes.join(', ')}`,
      content: problem,
    };
  }
  // What any path may answer besides its operations' own responses (the gateway's answers).
  responses.MethodNotAllowed = {
    description:
      'METHOD_NOT_ALLOWED: the path exists but does not take this method; `Allow` lists the methods it takes',
    headers: { Allow: { description: 'e.g. `POST`', schema: { type: 'string' } } },
    content: problem,
  };
  responses.OtherProblem = {
    description:
      'Any other error, as RFC 9457 problem details: 404 NOT_FOUND for a path no route has (a literal ' +
      'segment such as `verify` is never taken for a parameter), 405 METHOD_NOT_ALLOWED with `Allow` ' +
      '(see MethodNotAllowed), 429 when throttled, 500 INTERNAL, 504 GATEWAY_TIMEOUT.',
    content: problem,
  };

  return {
    openapi: '3.1.1',
    info: {
      title: 'hcx: Health Code eXchange',
      version: API_VERSION,
      summary: 'Interprovincial health-code federation: exchange and province node APIs',
      description:
        'Generated from schemas/ and functions/routes.ts by scripts/gen-openapi.ts; do not edit by hand. ' +
        'Every non-2xx answer is RFC 9457 problem details. Times in signed payloads are NumericDate ' +
        'seconds; times in JSON answers are RFC 3339.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [server('exchange'), server('province')],
    tags: Object.values(SERVICES).map((s) => ({ name: s.tag, description: s.description })),
    paths,
    components: {
      schemas: {
        ...schemas,
        ...joseComponents(names),
        ProblemCode: {
          title: 'ProblemCode',
          description:
            'Every problem `code` hcx answers with (functions/core/error-catalogue.ts); the status, title and ' +
            'meaning of each are in docs/contract.md, Errors.',
          type: 'string',
          enum: ERROR_CODES,
        },
      },
      responses,
      securitySchemes: {
        awsSigV4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'In AWS: IAM authorization, requests signed with AWS Signature Version 4.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        localBearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            "Under `npm start`: the local stand-in for IAM, `operatorToken` or the province's `internalToken` from the state file.",
        },
      },
    },
  };
}

let cachedBody: string | undefined;

/** The API Gateway (payload 2.0) answer to `GET /openapi.json`; the document is built once per process. */
export function openApiResponse(): APIGatewayProxyStructuredResultV2 {
  cachedBody ??= JSON.stringify(buildOpenApi());
  return {
    statusCode: 200,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
    },
    body: cachedBody,
  };
}
