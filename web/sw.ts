/**
 * The pages' service worker (one per page, scoped to its folder): keeps the page's files so it opens
 * with no network, answering from the cache at once and refreshing the cache behind it, and the
 * status batches the trust list names (immutable, named by hash: answered from the cache, fetched
 * once). It never caches the trust list (the page keeps the signed list itself) or anything else.
 */
import { BATCH_CACHE, cachedBatch } from './shared/batch-cache';

declare const __HCX_SHELL__: string[];
declare const __HCX_BUILD__: string;
/** The status batches' URL prefix, relative to the page (`PageConfig.statusBatchesUrl`). */
declare const __HCX_BATCHES__: string;

const worker = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `hcx-${__HCX_BUILD__}`;
const SHELL = __HCX_SHELL__.map((p) => new URL(p, worker.registration.scope).href);
const BATCHES = new URL(__HCX_BATCHES__, worker.registration.scope).href;

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((n) => n.startsWith('hcx-') && n !== CACHE && n !== BATCH_CACHE)
            .map((n) => caches.delete(n)),
        ),
      )
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener('fetch', (event) => {
  if (event.request.method === 'GET' && event.request.url.startsWith(BATCHES)) {
    event.respondWith(cachedBatch(event.request.url).catch(() => Response.error()));
    return;
  }
  const url = new URL(event.request.url);
  url.hash = '';
  url.search = '';
  if (event.request.method !== 'GET' || !SHELL.includes(url.href)) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(url.href);
      const fresh = fetch(event.request)
        .then((res) => {
          if (res.ok) void cache.put(url.href, res.clone());
          return res;
        })
        .catch(() => undefined);
      return cached ?? (await fresh) ?? Response.error();
    }),
  );
});
