/**
 * The local stand-in for API Gateway HTTP APIs: a node:http server per service instance that turns
 * each request into an HTTP API payload 2.0 event (./event.ts), calls the very same Lambda handler
 * AWS would, with a Lambda context (./lambda-context.ts), and writes the handler's structured
 * result back.
 *
 * What API Gateway does before a Lambda runs is done here too, so handlers see no difference:
 * route matching from the route table (./router.ts: 404 / 405), a hard body-size cap (413), and
 * for `operator` and `internal` routes the IAM authorizer, played by bearer tokens compared in
 * constant time (401 without calling the handler; on success `requestContext.authorizer.iam` is
 * filled the way IAM authorization fills it). Bodies and tokens are never logged.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
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
import { BadPath, toEvent, type LocalPrincipal } from './event';
import { lambdaContext } from './lambda-context';
import { compileRoutes } from './router';

/** A Lambda handler behind an HTTP API route (what `create(deps)` returns). */
export type LambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | string | object | undefined | void>;

/**
 * An extra GET route outside the route table, e.g. `/openapi.json`, by exact path; a key ending in
 * `*` (`/static/*`) serves every path under its prefix.
 */
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

const DEFAULT_MAX_BODY = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
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

/** The extra route registered as `<prefix>*` whose prefix `path` starts with. */
function prefixRoute(routes: ServiceServerOptions['extraRoutes'], path: string): ExtraRoute | undefined {
  for (const [key, route] of Object.entries(routes ?? {})) {
    if (key.endsWith('*') && path.startsWith(key.slice(0, -1))) return route;
  }
  return undefined;
}

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

    const extra = options.extraRoutes?.[path] ?? prefixRoute(options.extraRoutes, path);
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
