/**
 * The checkpoint page (/check/) and the traveller page (/wallet/) on every province node of
 * `npm start`: built once, at the first request, with this federation's pinned key (web/build.ts),
 * and the signed trust list at /check/trust-list (the status batches it names at
 * /check/status-batches?hash=), so the page reads them from its own origin (no CORS) exactly as it
 * reads them from the pages' CloudFront distribution in AWS. Like a node's sync
 * (functions/province/artefacts.ts), each is taken from the exchange's static site first (no
 * exchange function runs) and from the exchange's API when the static copy is not there or the
 * static site cannot be reached. The proxy checks nothing: the page opens every artefact with its
 * pinned key, whichever copy it came from.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ExtraRoute } from './server';

/** What the pages are built with. */
export interface PagesOptions {
  readonly federation: string;
  readonly federationJwks: { readonly keys: readonly unknown[] };
  readonly exchangeUrl: string;
  /** The exchange's static site (`<exchange>/static` locally), asked first; absent: the API only. */
  readonly staticUrl?: string;
}

/** Which copy a proxied artefact came from (`x-hcx-source`), for operators and tests. */
export type ProxiedSource = 'static' | 'api';

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
  /**
   * GET the artefact at `key` (static site) or `apiPath` (exchange API): the static copy when it
   * answers 200, else the API's answer as it is; 502 when neither can be reached.
   */
  const proxy = async (
    key: string,
    apiPath: string,
    cacheControl: (ok: boolean) => string,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const answer = (res: Response, source: ProxiedSource) =>
      res.text().then((body) => ({
        statusCode: res.status,
        headers: {
          'content-type': res.headers.get('content-type') ?? 'application/jose',
          'cache-control': cacheControl(res.ok),
          'x-hcx-source': source,
        },
        body,
      }));
    if (options.staticUrl) {
      try {
        const res = await fetch(`${options.staticUrl}/${key}`);
        if (res.status === 200) return await answer(res, 'static');
        await res.body?.cancel();
      } catch {
        // the static site cannot be reached: the API is asked below
      }
    }
    try {
      return await answer(await fetch(`${options.exchangeUrl}${apiPath}`), 'api');
    } catch {
      // The exchange is unreachable: the page keeps verifying with what it holds.
      return {
        statusCode: 502,
        headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' },
        body: '',
      };
    }
  };
  // The list, or the signed delta since a version the page holds (the list changes: revalidate).
  const trustList: ExtraRoute = ({ query }) => {
    const since = /^since=([0-9]{1,12})$/.exec(query ?? '')?.[1];
    return since === undefined
      ? proxy('v1/trust-list', '/v1/trust-list', () => 'no-cache')
      : proxy(`v1/trust-list/deltas/${since}`, `/v1/trust-list?since=${since}`, () => 'no-cache');
  };
  // The status batches the list names, by hash (immutable: cacheable for good).
  const statusBatch: ExtraRoute = async ({ query }): Promise<APIGatewayProxyStructuredResultV2> => {
    const hash = /^hash=([A-Za-z0-9_-]{43})$/.exec(query ?? '')?.[1];
    if (!hash) return { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: 'hash= expected' };
    return proxy(`v1/status-batches/${hash}`, `/v1/status-batches/${hash}`, (ok) =>
      ok ? 'public, max-age=31536000, immutable' : 'no-store',
    );
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
