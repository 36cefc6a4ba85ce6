/**
 * The status batches a trust list names (docs/scale.md), kept in Cache Storage for offline use by
 * the checkpoint page and its service worker alike. A batch is immutable (named by its SHA-256), so
 * a cached copy is answered without asking the network; whoever reads it still checks the hash
 * against the signed list (the page through the shared core), and drops a copy that fails.
 */

/** The cache the batches live in (kept across page builds: the service worker never deletes it). */
export const BATCH_CACHE = 'hcx-status-batches';

/** The cached batch at `url`, else the network's answer (kept in the cache when it is a 200). */
export async function cachedBatch(url: string): Promise<Response> {
  const cache = await caches.open(BATCH_CACHE);
  const hit = await cache.match(url);
  if (hit) return hit;
  const res = await fetch(url, { credentials: 'omit' });
  if (res.ok) await cache.put(url, res.clone());
  return res;
}

/** Drop the cached batches whose URL is not in `keep` (the list no longer names them). */
export async function pruneBatches(keep: ReadonlySet<string>): Promise<void> {
  const cache = await caches.open(BATCH_CACHE);
  for (const req of await cache.keys()) if (!keep.has(req.url)) await cache.delete(req);
}
