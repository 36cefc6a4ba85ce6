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
}

declare const __HCX_CONFIG__: PageConfig;

export const CONFIG: PageConfig = __HCX_CONFIG__;
