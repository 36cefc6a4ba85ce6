/**
 * The local stand-in for API Gateway HTTP APIs: a node:http server per service instance that turns
 * each request into an HTTP API payload 2.0 event, calls the very same Lambda handler AWS would,
 * and writes the handler's structured result back.
 *
 * What API Gateway does before a Lambda runs is done here too, so handlers see no difference:
 * route matching from the route table (404 / 405), a hard body-size cap (413), and for `operator`
 * and `internal` routes the IAM authorizer, played by bearer tokens compared in constant time (401
 * without calling the handler; on success `requestContext.authorizer.iam` is filled the way IAM
 * authorization fills it). Bodies and tokens are never logged.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayEventRequestContextIAMAuthorizer,
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import {
  AuthenticationFailed,
  HcxError,
  InternalError,
  RequestInvalid,
  RequestTooLarge,
  ResourceNotFound,
} from '../core/errors';
import { problemResponse } from '../http/problem-details';
import { withSecurityHeaders } from '../http/security-headers';
import type { RouteAuth, RouteDefinition } from '../routes';

/** A Lambda handler behind an HTTP API route (what `create(deps)` returns). */
export type LambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | string | object | undefined | void>;

/** The local identity a bearer token stands for (an IAM user or role in AWS). */
export interface LocalPrincipal {
  /** The bearer token (32 random bytes, base64url). */
  readonly token: string;
  /** IAM-style user name, e.g. `local-operator`, `local-province-330000`. */
  readonly name: string;
}

/** An extra GET route outside the route table, e.g. `/openapi.json`. */
export type ExtraRoute = (request: {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The raw query string, without `?` (empty when none). */
  readonly query?: string;
}) => APIGatewayProxyStructuredResultV2 | Promise<APIGatewayProxyStructuredResultV2>;

/** A line for the log: a constant message and structured fields, never a body or a token. */
export type AdapterLog = (message: string, fields: Record<string, string | number | undefined>) => void;

/** One service instance: the exchange, or one province node. */
export interface ServiceServerOptions {
  /** Instance name, used in function names and the API id: `exchange`, `province-330000`. */
  readonly name: string;
  /** The routes this instance serves (from `routesOf(service)`). */
  readonly routes: readonly RouteDefinition[];
  /** Handler per function folder (`route.fn`); read at request time, so it may be filled later. */
  readonly handlers: Readonly<Record<string, LambdaHandler>>;
  /** Who may call `operator` and `internal` routes; a route whose principal is missing answers 401. */
  readonly principals?: Partial<Record<Extract<RouteAuth, 'operator' | 'internal'>, LocalPrincipal>>;
  /** GET routes outside the route table, by exact path. */
  readonly extraRoutes?: Readonly<Record<string, ExtraRoute>>;
  /** Body cap in bytes, enforced while reading (default 1 MiB, like a small API Gateway limit). */
  readonly maxBodyBytes?: number;
  /** Handler time limit in milliseconds (default 30 s, API Gateway's integration timeout). */
  readonly timeoutMs?: number;
  readonly log?: AdapterLog;
}

/** The account id of every local ARN. */
export const LOCAL_ACCOUNT_ID = '000000000000';
const DEFAULT_MAX_BODY = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

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

/** A compiled route template. */
interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly segments: readonly { readonly literal?: string; readonly param?: string }[];
}

/** The outcome of matching a request path against the route table. */
export type RouteMatch =
  | { readonly kind: 'found'; readonly route: RouteDefinition; readonly rawParams: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' };

/** Compile route templates once; `match` then resolves a method and raw (still encoded) path. */
export function compileRoutes(
  routes: readonly RouteDefinition[],
): (method: string, rawPath: string) => RouteMatch {
  const compiled: CompiledRoute[] = routes.map((route) => ({
    route,
    segments: route.path
      .split('/')
      .slice(1)
      .map((s) => {
        const m = /^\{([A-Za-z0-9_]+)\}$/.exec(s);
        return m ? { param: m[1] } : { literal: s };
      }),
  }));
  return (method, rawPath) => {
    const parts = rawPath.split('/').slice(1);
    const candidates: { route: RouteDefinition; params: Record<string, string>; score: number[] }[] = [];
    for (const c of compiled) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const score: number[] = [];
      let ok = rawPath.startsWith('/');
      for (let i = 0; ok && i < parts.length; i++) {
        const seg = c.segments[i];
        if (seg.literal !== undefined) {
          ok = seg.literal === parts[i];
          score.push(1);
        } else {
          ok = parts[i] !== '';
          params[seg.param as string] = parts[i];
          score.push(0);
        }
      }
      if (ok) candidates.push({ route: c.route, params, score });
    }
    if (candidates.length === 0) return { kind: 'not-found' };
    // the most specific template wins: literals before parameters, left to right; only then the
    // method, so a literal segment is never taken for a parameter (`GET /v1/codes/verify` is 405,
    // not a code id) and `Allow` names the methods of that one template
    candidates.sort((a, b) => {
      for (let i = 0; i < a.score.length; i++) if (a.score[i] !== b.score[i]) return b.score[i] - a.score[i];
      return 0;
    });
    const template = candidates[0].route.path;
    const sameTemplate = candidates.filter((c) => c.route.path === template);
    const found = sameTemplate.find((c) => c.route.method === method);
    if (!found) {
      return {
        kind: 'method-not-allowed',
        allow: [...new Set(sameTemplate.map((c) => c.route.method))].sort(),
      };
    }
    return { kind: 'found', route: found.route, rawParams: found.params };
  };
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
  route: RouteDefinition,
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
      accountId: LOCAL_ACCOUNT_ID,
      callerId: `AIDA${id}`,
      cognitoIdentity: null,
      principalOrgId: '',
      userArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/${principal.name}`,
      userId: `AIDA${id}`,
    },
  };
}

/** A path parameter that is not valid percent-encoding. */
export class BadPath extends Error {}

/** An RFC 9457 problem response, built by the same function the handlers' middleware uses. */
function problem(
  error: HcxError,
  extraHeaders: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  const response = problemResponse(error);
  // The same nosniff and no-store as every handler's answer (one definition: security-headers.ts).
  return { ...response, headers: withSecurityHeaders({ ...response.headers, ...extraHeaders }) };
}

const methodNotAllowed = () => new HcxError('METHOD_NOT_ALLOWED');

/** Create (not yet listening) the HTTP server of one service instance. */
export function createServiceServer(options: ServiceServerOptions): Server {
  const match = compileRoutes(options.routes);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log: AdapterLog = options.log ?? (() => undefined);
  const apiId = `local-${options.name}`;

  const server = createServer({ keepAlive: true }, (req, res) => {
    const requestId = randomUUID();
    handle(req, requestId)
      .catch((e: unknown) => {
        // only the error's class name: messages may carry input
        log('adapter failure', { api: apiId, requestId, error: (e as Error)?.name ?? typeof e });
        return problem(new InternalError());
      })
      .then((result) => {
        write(res, result, requestId);
      });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: IncomingMessage, requestId: string): Promise<APIGatewayProxyStructuredResultV2> {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const path = url.split('?')[0];

    const extra = options.extraRoutes?.[path];
    if (extra) {
      if (method !== 'GET') {
        drain(req);
        return problem(methodNotAllowed(), { allow: 'GET' });
      }
      drain(req);
      return extra({ path, headers: flatHeaders(req), query: url.slice(path.length + 1) });
    }

    const found = match(method, path);
    if (found.kind !== 'found') {
      drain(req);
      return found.kind === 'not-found'
        ? problem(new ResourceNotFound())
        : problem(methodNotAllowed(), { allow: found.allow.join(', ') });
    }
    const { route } = found;

    let principal: LocalPrincipal | undefined;
    if (route.auth === 'operator' || route.auth === 'internal') {
      principal = options.principals?.[route.auth];
      if (!principal || !bearerMatches(req.headers.authorization, principal.token)) {
        drain(req);
        log('authentication failed', { api: apiId, requestId, routeKey: `${route.method} ${route.path}` });
        return problem(new AuthenticationFailed('BEARER_TOKEN_INVALID'), {
          'www-authenticate': 'Bearer',
        });
      }
    }

    const body = await readBody(req, maxBody);
    if (body === TOO_LARGE) {
      return problem(new RequestTooLarge(), { connection: 'close' });
    }

    const handler = options.handlers[route.fn];
    if (!handler) return problem(new HcxError('NOT_IMPLEMENTED'));

    let event: APIGatewayProxyEventV2;
    try {
      event = toEvent(
        {
          method,
          url,
          rawHeaders: req.rawHeaders,
          body,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          localPort: req.socket.localPort ?? 0,
        },
        route,
        found.rawParams,
        { apiId, requestId, now: new Date(), authorizer: principal },
      );
    } catch (e) {
      if (e instanceof BadPath)
        return problem(new RequestInvalid('a path parameter is not valid percent-encoding'));
      throw e;
    }
    return invoke(handler, event, lambdaContext(`hcx-${options.name}-${route.fn}`, requestId, timeoutMs));
  }

  async function invoke(
    handler: LambdaHandler,
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    });
    try {
      const result = await Promise.race([handler(event, context), timeout]);
      if (result === TIMED_OUT) {
        log('handler timed out', { api: apiId, requestId: context.awsRequestId, fn: context.functionName });
        return problem(new HcxError('GATEWAY_TIMEOUT'));
      }
      return normalize(result);
    } catch (e) {
      // a handler that throws is a 500 in AWS too (API Gateway: "Internal Server Error")
      log('handler failed', {
        api: apiId,
        requestId: context.awsRequestId,
        fn: context.functionName,
        error: (e as Error)?.name ?? typeof e,
      });
      return problem(new InternalError());
    } finally {
      clearTimeout(timer);
    }
  }

  return server;
}

/** Listen on 127.0.0.1 and return the base URL; a busy port rejects with `PortInUse`. */
export function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' || e.code === 'EACCES' ? new PortInUse(port, e.code) : e);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

/** Close a server, ending idle keep-alive connections (and, after a grace period, busy ones). */
export function close(server: Server, graceMs = 2000): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** The port is taken (or not allowed). */
export class PortInUse extends Error {
  constructor(
    readonly port: number,
    readonly reason: string,
  ) {
    super(reason === 'EACCES' ? `port ${port} is not allowed` : `port ${port} is in use`);
    this.name = 'PortInUse';
  }
}

const TOO_LARGE = Symbol('too large');
const TIMED_OUT = Symbol('timed out');

/** Read the body, refusing (and stopping reading) past `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | typeof TOO_LARGE> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) {
    drain(req);
    return Promise.resolve(TOO_LARGE);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        chunks.length = 0;
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    req.on('error', (e) => {
      if (!done) reject(e);
      done = true;
    });
  });
}

/** Discard a request body we will not use, so that the connection can be reused. */
function drain(req: IncomingMessage): void {
  req.resume();
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header ?? '');
  if (!m) return false;
  // compare digests: equal length whatever was sent, so the comparison time tells nothing
  const a = createHash('sha256').update(m[1]).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

/** A payload 2.0 handler may return a bare value: API Gateway then answers 200 with it as JSON. */
function normalize(result: unknown): APIGatewayProxyStructuredResultV2 {
  if (result && typeof result === 'object' && 'statusCode' in result) {
    return result as APIGatewayProxyStructuredResultV2;
  }
  if (result === undefined) return { statusCode: 200, body: '' };
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: typeof result === 'string' ? result : JSON.stringify(result),
  };
}

function write(res: ServerResponse, result: APIGatewayProxyStructuredResultV2, requestId: string): void {
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  headers['apigw-requestid'] = requestId;
  const status = result.statusCode ?? 200;
  if (status !== 204 && status !== 304) headers['content-length'] = String(body.length);
  res.writeHead(status, headers);
  res.end(status === 204 || status === 304 ? undefined : body);
}

/** A Lambda-like context: names, request id, and the remaining-time clock. */
export function lambdaContext(functionName: string, awsRequestId: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error('callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's `requestContext.time`. */
function clfTime(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(
    d.getUTCMinutes(),
  )}:${p(d.getUTCSeconds())} +0000`;
}
