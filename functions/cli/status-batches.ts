/**
 * The status batches a saved trust list's status segments are read from (docs/scale.md): `hcx
 * trust-list fetch` saves each batch the list names, verbatim, as `<list file>.batches/<hash>.jws`;
 * offline verification reads them back. A batch is used only when its SHA-256 is the one the signed
 * list commits to and its segment has the listed digest; a segment not held leaves the list
 * unusable (`SEGMENT_MISSING`), never a revoked code answered valid.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SegmentSource } from '../core/registry';
import type { TrustList } from '../core/schemas/types.gen';
import { openBatch, segmentsFromBatches } from '../core/status/batch';
import { readText, writeAtomically } from './files';
import { call } from './http';

/** The folder the batches of the list saved as `listFile` are kept in. */
export function batchesDir(listFile: string): string {
  return `${listFile}.batches`;
}

const batchFile = (listFile: string, hash: string) => join(batchesDir(listFile), `${hash}.jws`);

/** Download (checked by hash first) every batch `list` names that is not saved yet; returns how many. */
export async function saveBatches(exchange: string, list: TrustList, listFile: string): Promise<number> {
  const hashes = new Set((list.statusSegments ?? []).map((s) => s.batch));
  let saved = 0;
  for (const hash of hashes) {
    if (existsSync(batchFile(listFile, hash))) continue;
    const { text } = await call(exchange, `/v1/status-batches/${hash}`, { accept: 'application/jose' });
    openBatch(text, hash);
    mkdirSync(batchesDir(listFile), { recursive: true });
    writeAtomically(batchFile(listFile, hash), text);
    saved++;
  }
  return saved;
}

/** The segments of `list` from the batches saved next to `listFile`. */
export function savedSegments(listFile: string): SegmentSource {
  return segmentsFromBatches((hash) => {
    const file = batchFile(listFile, hash);
    return existsSync(file) ? readText(file, 'a status batch') : undefined;
  });
}
