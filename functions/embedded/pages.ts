/**
 * The checkpoint page (/check/) and the traveller page (/wallet/) on every province node of
 * `npm start`: built once, at the first request, with this federation's pinned key (web/build.ts),
 * and the signed trust list at /check/trust-list (the status batches it names at
 * /check/status-batches?hash=), fetched from the exchange, so the page reads them
 * from its own origin (no CORS) exactly as it reads it from the pages' CloudFront distribution in AWS.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ExtraRoute } from './server';

/** What the pages are built with. */
export interface PagesOptions {
  readonly federation: string;
  readonly federationJwks: { readonly keys: readonly unknown[] };
  readonly exchangeUrl: string;
}

/** The paths every province node serves for the pages. */
export const PAGE_PATHS = { check: '/check/', wallet: '/wallet/' } as const;

/** Extra GET routes serving both pages and the trust list beside them. */
export function pageRoutes(options: PagesOptions): Record<string, ExtraRoute> {
  let built: Promise<Map<string, { body: Buffer; headers: Readonly<Record<string, string>> }>> | undefined;
  const files = () => {
    // esbuild is loaded only when someone opens a page, never by a test that does not
    built ??= import('../../web/build').then((m) =>
      m.buildPages({
        federation: options.federation,
        federationJwks: options.federationJwks,
        trustListUrl: 'trust-list',
        statusBatchesUrl: 'status-batches?hash=',
      }),
    );
    built.catch(() => (built = undefined));
    return built;
  };
  const serve: ExtraRoute = async ({ path }) => {
    const file = (await files()).get(path);
    if (!file) return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
    return {
      statusCode: 200,
      headers: { ...file.headers },
      body: file.body.toString('base64'),
      isBase64Encoded: true,
    };
  };
  const redirect =
    (to: string): ExtraRoute =>
    () => ({ statusCode: 301, headers: { location: to, 'cache-control': 'no-cache' }, body: '' });
  const trustList: ExtraRoute = async ({ query }): Promise<APIGatewayProxyStructuredResultV2> => {
    const since = /^since=[0-9]{1,12}$/.test(query ?? '') ? `?${query}` : '';
    try {
      const res = await fetch(`${options.exchangeUrl}/v1/trust-list${since}`);
      return {
        statusCode: res.status,
        headers: {
          'content-type': res.headers.get('content-type') ?? 'application/jose',
          'cache-control': 'no-cache',
        },
        body: await res.text(),
      };
    } catch {
      // The exchange is unreachable: the page keeps verifying with the list it holds.
      return {
        statusCode: 502,
        headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' },
        body: '',
      };
    }
  };
  // The status batches the list names, by hash (immutable: cacheable for good).
  const statusBatch: ExtraRoute = async ({ query }): Promise<APIGatewayProxyStructuredResultV2> => {
    const hash = /^hash=([A-Za-z0-9_-]{43})$/.exec(query ?? '')?.[1];
    if (!hash) return { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: 'hash= expected' };
    try {
      const res = await fetch(`${options.exchangeUrl}/v1/status-batches/${hash}`);
      return {
        statusCode: res.status,
        headers: {
          'content-type': res.headers.get('content-type') ?? 'application/jose',
          'cache-control': res.ok ? 'public, max-age=31536000, immutable' : 'no-store',
        },
        body: await res.text(),
      };
    } catch {
      return {
        statusCode: 502,
        headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' },
        body: '',
      };
    }
  };
  const routes: Record<string, ExtraRoute> = {
    '/check/trust-list': trustList,
    '/check/status-batches': statusBatch,
  };
  for (const [name, path] of Object.entries(PAGE_PATHS)) {
    routes[`/${name}`] = redirect(path);
    for (const p of [path, `${path}${name}.js`, `${path}sw.js`]) routes[p] = serve;
  }
  return routes;
}
