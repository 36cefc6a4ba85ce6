/**
 * The API Gateway HTTP API (payload 2.0) event builder: what API Gateway sends a Lambda for one
 * request on one route. The embedded server builds every event with it; benches and tests use it
 * too, so there is one definition of the event shape.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayEventRequestContextIAMAuthorizer, APIGatewayProxyEventV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './lambda-context';

/** What an event needs of a route (a `RouteDefinition` or any method and path template): its `routeKey`. */
export interface RouteKey {
  readonly method: string;
  readonly path: string;
}

/** The local identity a bearer token stands for (an IAM user or role in AWS). */
export interface LocalPrincipal {
  /** The bearer token (32 random bytes, base64url). */
  readonly token: string;
  /** IAM-style user name, e.g. `local-operator`, `local-province-330000`. */
  readonly name: string;
  /** The caller's ARN (default `arn:aws:iam::000000000000:user/<name>`), e.g. a role session's. */
  readonly arn?: string;
}

/** Content types API Gateway hands to Lambda as text; every other body arrives base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript'
  );
}

/** What the adapter knows about one request once its body is read. */
export interface RawRequest {
  readonly method: string;
  /** Path and query as received, e.g. `/v1/log?since=3`. */
  readonly url: string;
  /** `rawHeaders` as node:http gives them: name, value, name, value… */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly localPort: number;
}

/**
 * Build the payload 2.0 event API Gateway would send for `request` on `route`.
 * Throws `BadPath` when a path parameter is not valid percent-encoding.
 */
export function toEvent(
  request: RawRequest,
  route: RouteKey,
  rawParams: Record<string, string>,
  options: { apiId: string; requestId: string; now: Date; authorizer?: LocalPrincipal },
): APIGatewayProxyEventV2 {
  const queryAt = request.url.indexOf('?');
  const rawPath = queryAt < 0 ? request.url : request.url.slice(0, queryAt);
  const rawQueryString = queryAt < 0 ? '' : request.url.slice(queryAt + 1);

  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i].toLowerCase();
    const value = request.rawHeaders[i + 1];
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    // the bearer token stands in for SigV4: it is consumed here and never reaches handler logs
    if (name === 'authorization' && options.authorizer) continue;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${request.sourceIp}`
    : request.sourceIp;
  headers['x-forwarded-port'] = String(request.localPort);
  headers['x-forwarded-proto'] = 'http';

  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) query[k] = k in query ? `${query[k]},${v}` : v;

  const pathParameters: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawParams)) {
    try {
      pathParameters[k] = decodeURIComponent(v);
    } catch {
      throw new BadPath();
    }
  }

  const routeKey = `${route.method} ${route.path}`;
  const text = isTextContentType(headers['content-type']);
  const hasBody = request.body.length > 0;
  const asText = hasBody && text ? strictText(request.body) : undefined;
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: options.apiId,
      ...(options.authorizer ? { authorizer: iamAuthorizer(options.authorizer) } : {}),
      domainName: headers.host ?? `127.0.0.1:${request.localPort}`,
      domainPrefix: (headers.host ?? '127').split('.')[0],
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: options.requestId,
      routeKey,
      stage: '$default',
      time: clfTime(options.now),
      timeEpoch: options.now.getTime(),
    },
    // Text that is not valid UTF-8 is passed base64-encoded, so the handler's strict decoder refuses
    // it (400) instead of receiving U+FFFD replacements.
    ...(hasBody ? { body: asText ?? request.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && asText === undefined,
  };
  return event;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text when its type is textual and it is valid UTF-8; otherwise undefined. */
function strictText(body: Buffer): string | undefined {
  try {
    return STRICT_UTF8.decode(body);
  } catch {
    return undefined;
  }
}

/** `requestContext.authorizer` as IAM authorization fills it, for a local principal. */
function iamAuthorizer(principal: LocalPrincipal): APIGatewayEventRequestContextIAMAuthorizer {
  // stable per principal name, shaped like IAM ids; derived from the name, never from the token
  const id = createHash('sha256').update(principal.name).digest('hex').slice(0, 17).toUpperCase();
  return {
    iam: {
      accessKey: `ASIA${id}`.slice(0, 20),
      accountId: principal.arn?.split(':')[4] || LOCAL_ACCOUNT_ID,
      callerId: `AIDA${id}`,
      cognitoIdentity: null,
      principalOrgId: '',
      userArn: principal.arn ?? `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/${principal.name}`,
      userId: `AIDA${id}`,
    },
  };
}

/** A request given by its route and values rather than as bytes off a socket (benches, tests). */
export interface RouteRequest {
  /** Decoded path parameters, percent-encoded into the path as a client would. */
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** The IAM caller, as API Gateway's IAM authorizer fills it. */
  readonly authorizer?: LocalPrincipal;
  readonly sourceIp?: string;
  readonly requestId?: string;
  readonly now?: Date;
}

/** The payload 2.0 event API Gateway sends for `request` on `route` ({@link toEvent} over its bytes). */
export function routeEvent(route: RouteKey, request: RouteRequest = {}): APIGatewayProxyEventV2 {
  const rawParams: Record<string, string> = {};
  const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    rawParams[name] = encodeURIComponent(request.pathParameters?.[name] ?? name);
    return rawParams[name];
  });
  const query = new URLSearchParams(request.query).toString();
  return toEvent(
    {
      method: route.method,
      url: query ? `${path}?${query}` : path,
      rawHeaders: Object.entries(request.headers ?? {}).flat(),
      body: typeof request.body === 'string' ? Buffer.from(request.body) : (request.body ?? Buffer.alloc(0)),
      sourceIp: request.sourceIp ?? '127.0.0.1',
      localPort: 443,
    },
    route,
    rawParams,
    {
      apiId: 'local',
      requestId: request.requestId ?? 'local-request',
      now: request.now ?? new Date(),
      authorizer: request.authorizer,
    },
  );
}

/** A path parameter that is not valid percent-encoding. */
export class BadPath extends Error {}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's `requestContext.time`. */
function clfTime(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(
    d.getUTCMinutes(),
  )}:${p(d.getUTCSeconds())} +0000`;
}
