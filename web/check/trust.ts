/**
 * The trust list the page verifies against: the signed list (and the signed deltas after it) kept in
 * local storage, each opened again with the shared core (federation key pinned in the configuration)
 * whenever the page starts, and refreshed from the network when there is one.
 *
 * A list is kept with the time it was accepted and re-opened as of that time, so a list that has
 * since expired still loads: verifyCode then answers `indeterminate` with TRUST_LIST_STALE, exactly
 * as a province node does with a stale replica, instead of the page knowing nothing at all.
 */
import type { SegmentSource } from '../../functions/core/registry';
import type { TrustList } from '../../functions/core/schemas/types.gen';
import { chainBatches, segmentsFromBatches, sha256 } from '../../functions/core/status/batch';
import {
  applyDelta,
  federationKeys,
  isNewer,
  openDelta,
  openTrustList,
} from '../../functions/core/trustlist/trust-list';
import { BATCH_CACHE, cachedBatch, pruneBatches } from '../shared/batch-cache';
import { CONFIG } from '../shared/config';

const STORE_KEY = 'hcx.trustList.v1';
/** Deltas kept on top of the base list before the page fetches a full list again. */
const MAX_DELTAS = 50;

interface Signed {
  readonly jws: string;
  readonly acceptedAt: number;
}

/** What local storage holds: the signed evidence only, never a scanned code or a result. */
interface Held {
  readonly base: Signed;
  readonly deltas: readonly Signed[];
}

const keys = federationKeys(CONFIG.federationJwks, CONFIG.federation);
const now = () => Math.floor(Date.now() / 1000);

async function derive(held: Held): Promise<TrustList> {
  let list = await openTrustList(held.base.jws, keys, { now: held.base.acceptedAt });
  for (const d of held.deltas) {
    list = applyDelta(list, await openDelta(d.jws, keys, { now: d.acceptedAt }), { now: d.acceptedAt });
  }
  return list;
}

function readHeld(): Held | undefined {
  try {
    const raw = localStorage.getItem(STORE_KEY);
    return raw ? (JSON.parse(raw) as Held) : undefined;
  } catch {
    return undefined;
  }
}

function writeHeld(held: Held): void {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(held));
  } catch {
    // storage full or disabled: the list still serves this page load
  }
}

/** The list held on this device, re-opened with the pinned key; undefined when none or not valid. */
export async function loadHeld(): Promise<{ held: Held; list: TrustList } | undefined> {
  const held = readHeld();
  if (!held) return undefined;
  try {
    return { held, list: await derive(held) };
  } catch {
    // A damaged or foreign list is dropped, never used.
    localStorage.removeItem(STORE_KEY);
    return undefined;
  }
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

/**
 * Bring the held list up to date: a signed delta from the held version when there is one, else the
 * full list. Resolves with the newest valid list, or rejects when the network gave nothing usable
 * (the caller keeps what it holds).
 */
export async function refresh(current: { held: Held; list: TrustList } | undefined): Promise<{
  held: Held;
  list: TrustList;
}> {
  const at = now();
  if (current && current.held.deltas.length < MAX_DELTAS) {
    try {
      const sep = CONFIG.trustListUrl.includes('?') ? '&' : '?';
      const jws = await fetchText(`${CONFIG.trustListUrl}${sep}since=${current.list.version}`);
      const delta = await openDelta(jws, keys, { now: at });
      const list = applyDelta(current.list, delta, { now: at });
      const held = { base: current.held.base, deltas: [...current.held.deltas, { jws, acceptedAt: at }] };
      writeHeld(held);
      return { held, list };
    } catch {
      // no delta (too old a version, a fork, an older exchange): fetch the full list
    }
  }
  const jws = await fetchText(CONFIG.trustListUrl);
  const list = await openTrustList(jws, keys, { now: at });
  if (current && !isNewer(list, current.list)) return current;
  const held = { base: { jws, acceptedAt: at }, deltas: [] };
  writeHeld(held);
  return { held, list };
}

const batchUrl = (hash: string) => new URL(`${CONFIG.statusBatchesUrl}${hash}`, location.href).href;

/** The text of batch `hash`: cached (checked by hash, a bad copy dropped) or fetched; undefined when neither. */
async function batchText(hash: string): Promise<string | undefined> {
  const url = batchUrl(hash);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const res = await cachedBatch(url);
      if (!res.ok) return undefined;
      const text = await res.text();
      if (sha256(text) === hash) return text;
      await (await caches.open(BATCH_CACHE)).delete(url);
    } catch {
      return undefined; // offline and not cached
    }
  }
  return undefined;
}

/**
 * The status segments `list` names, from the batches that carry them (Cache Storage first, then the
 * network, as `hcx trust-list fetch` saves them next to a list): building the snapshot refuses the
 * list (`SEGMENT_MISSING`) when one is not held. Batches the list no longer needs are dropped.
 */
export async function listSegments(list: TrustList): Promise<SegmentSource> {
  // The batches the list names and, for a segment patch, those back along its chain.
  const texts = await chainBatches(list, batchText);
  await pruneBatches(new Set([...texts.keys()].map(batchUrl))).catch(() => undefined);
  return segmentsFromBatches((hash) => texts.get(hash));
}
