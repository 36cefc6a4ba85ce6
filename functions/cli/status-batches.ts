/**
 * The status batches a saved trust list's status segments are read from (docs/scale.md): `hcx
 * trust-list fetch` saves each batch the list names (and, for a segment patch, the batches back
 * along its chain to a full publication), verbatim, as `<list file>.batches/<hash>.jws`;
 * offline verification reads them back. A batch is used only when its SHA-256 is the one the signed
 * list commits to and its segment has the listed digest; a segment not held leaves the list
 * unusable (`SEGMENT_MISSING`), never a revoked code answered valid.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SegmentSource } from '../core/registry';
import type { TrustList } from '../core/schemas/types.gen';
import { chainBatches, openBatch, segmentsFromBatches } from '../core/status/batch';
import { readText, writeAtomically } from './files';
import { TrustListRejected } from '../core/errors';
import { CliError } from './errors';
import { call } from './http';

/** The folder the batches of the list saved as `listFile` are kept in. */
export function batchesDir(listFile: string): string {
  return `${listFile}.batches`;
}

const batchFile = (listFile: string, hash: string) => join(batchesDir(listFile), `${hash}.jws`);

/** The batch `hash` from `base`, checked against its hash (throws when missing or refused). */
async function fetchBatch(base: string, hash: string): Promise<string> {
  const { text } = await call(base, `/v1/status-batches/${hash}`, { accept: 'application/jose' });
  openBatch(text, hash);
  return text;
}

/**
 * Download (checked by hash first) every batch `list` names that is not saved yet; returns how many.
 * With `staticUrl`, each is asked from the exchange's static site first; a copy missing there or
 * refused is noted in `notes` and asked from the exchange.
 */
export async function saveBatches(
  exchange: string,
  list: TrustList,
  listFile: string,
  fromStatic: { readonly staticUrl?: string; readonly notes?: string[] } = {},
): Promise<number> {
  let saved = 0;
  // The batches the list names and, for a patch, those back along its chain (saved ones read back).
  await chainBatches(list, async (hash) => {
    const file = batchFile(listFile, hash);
    if (existsSync(file)) return readText(file, 'a status batch');
    let text: string | undefined;
    if (fromStatic.staticUrl) {
      try {
        text = await fetchBatch(fromStatic.staticUrl, hash);
      } catch (e) {
        const why = e instanceof TrustListRejected ? e.reason : e instanceof CliError ? e.message : undefined;
        if (why === undefined) throw e;
        fromStatic.notes?.push(
          `status batch ${hash} not used from the static site (${why}): fetched from ${exchange}`,
        );
      }
    }
    text ??= await fetchBatch(exchange, hash);
    mkdirSync(batchesDir(listFile), { recursive: true });
    writeAtomically(file, text);
    saved++;
    return text;
  });
  return saved;
}

/** The segments of `list` from the batches saved next to `listFile`. */
export function savedSegments(listFile: string): SegmentSource {
  return segmentsFromBatches((hash) => {
    const file = batchFile(listFile, hash);
    return existsSync(file) ? readText(file, 'a status batch') : undefined;
  });
}
