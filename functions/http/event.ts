/**
 * The event and response types of every hcx HTTP handler (API Gateway HTTP API, payload 2.0), the
 * response helpers, and safe access to path and query parameters.
 */
import type { APIGatewayEventRequestContextIAMAuthorizer, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { RequestInvalid } from '../core/errors';
import type { QueryParameter, RouteDefinition } from '../routes';

/** A payload 2.0 event after `readBody`: `parsed` is the decoded (and, with `validate`, validated) body. */
export interface HttpEvent<TBody = unknown> extends APIGatewayProxyEventV2 {
  /** JSON bodies: the strictly parsed value; `application/jose`: the trimmed text; no body: `undefined`. */
  parsed: TBody;
}

/** What a handler returns (a payload 2.0 structured result, headers always present). */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** The Lambda handler type every `functions/<service>/handlers/<name>.ts` exports as `handler`. */
export type HttpLambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResponse>;

/** A JSON response (`application/json`, or the content type given in `headers`). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** An `application/jose` response carrying a compact JWS. */
export function jose(status: number, text: string, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode: status, headers: { 'content-type': 'application/jose', ...headers }, body: text };
}

/** A `204 No Content` response. */
export function noContent(headers: Record<string, string> = {}): HttpResponse {
  return { statusCode: 204, headers: { ...headers } };
}

/**
 * A check on a raw parameter: a pattern the whole value must match, or a predicate such as a
 * compiled validator (e.g. `isProvinceRegion` from `core/schemas/validators`).
 */
export type ParamCheck = RegExp | ((value: string) => boolean);

function checkParam(value: string | undefined, check: ParamCheck): value is string {
  if (value === undefined) return false;
  if (typeof check === 'function') return check(value);
  const anchored = new RegExp(`^(?:${check.source})$`, check.flags.replace(/[gy]/g, ''));
  return anchored.test(value);
}

/** The path parameter `name`, checked; throws `RequestInvalid` (400) when missing or invalid. */
export function pathParam(event: APIGatewayProxyEventV2, name: string, check: ParamCheck): string {
  const value = event.pathParameters?.[name];
  if (!checkParam(value, check)) throw new RequestInvalid(`Path parameter '${name}' is missing or invalid`);
  return value;
}

/** The query parameter `name`, checked, or `undefined` when absent; throws `RequestInvalid` when invalid. */
export function queryParam(
  event: APIGatewayProxyEventV2,
  name: string,
  check: ParamCheck,
): string | undefined {
  const value = event.queryStringParameters?.[name];
  if (value === undefined) return undefined;
  if (!checkParam(value, check)) throw new RequestInvalid(`Query parameter '${name}' is invalid`);
  return value;
}

/** A request header, case-insensitively (payload 2.0 lower-cases names; the embedded adapter should too). */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const lower = name.toLowerCase();
  const headers = event.headers ?? {};
  if (headers[lower] !== undefined) return headers[lower];
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * The IAM caller API Gateway authorized (user ARN, else account id), or `null`: for logging only.
 * Handlers never authorize on it: API Gateway (or the embedded adapter) already did.
 */
export function callerIdentity(event: APIGatewayProxyEventV2): string | null {
  const ctx = event.requestContext as APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: Partial<APIGatewayEventRequestContextIAMAuthorizer>;
  };
  const iam = ctx?.authorizer?.iam;
  return iam?.userArn || iam?.accountId || null;
}

/** The declaration of query parameter `name` in the route table; a route that reads one must declare it. */
function declared(route: RouteDefinition, name: string, type: QueryParameter['type']): QueryParameter {
  const param = route.query?.find((q) => q.name === name);
  if (!param || param.type !== type) {
    throw new TypeError(
      `route ${route.fn} declares no ${type} query parameter '${name}' (functions/routes.ts)`,
    );
  }
  return param;
}

const COUNT = /^[0-9]{1,12}$/;

/**
 * Integer query parameter `name` as the route table declares it: its `default` (or `undefined`) when
 * absent; `RequestInvalid` (400) when not a count of at most 12 digits within `min`..`max`.
 */
export function queryInteger(
  event: APIGatewayProxyEventV2,
  route: RouteDefinition,
  name: string,
): number | undefined {
  const param = declared(route, name, 'integer') as Extract<QueryParameter, { type: 'integer' }>;
  const value = queryParam(
    event,
    name,
    (v) => COUNT.test(v) && +v >= (param.min ?? 0) && +v <= (param.max ?? Number.MAX_SAFE_INTEGER),
  );
  return value === undefined ? param.default : Number(value);
}

/** Enum query parameter `name` as the route table declares it: `undefined` when absent; 400 when not one of its values. */
export function queryEnum(
  event: APIGatewayProxyEventV2,
  route: RouteDefinition,
  name: string,
): string | undefined {
  const param = declared(route, name, 'enum') as Extract<QueryParameter, { type: 'enum' }>;
  return queryParam(event, name, (v) => param.values.includes(v));
}
