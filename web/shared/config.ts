/**
 * The page's configuration, fixed when the page is built (web/build.ts): the federation id and its
 * public key(s), pinned here rather than fetched from the network the key protects, and where the
 * signed trust list is fetched from (the page's own origin, so no CORS is needed).
 */
export interface PageConfig {
  readonly federation: string;
  readonly federationJwks: { readonly keys: readonly unknown[] };
  /** URL of the signed trust list, relative to the page (`GET`, `?since=` for a delta). */
  readonly trustListUrl: string;
  /**
   * Where the status batches the list names are fetched from, relative to the page: this prefix and
   * the batch's hash (`GET /v1/status-batches/{hash}` of the exchange, or a static copy).
   */
  readonly statusBatchesUrl: string;
}

declare const __HCX_CONFIG__: PageConfig;

export const CONFIG: PageConfig = __HCX_CONFIG__;
