/**
 * Stored segment items (functions/core/status/stored.ts) in a DynamoDB table, shared by the
 * province node (`SEGMENT#<digest>`) and the exchange (`SCONTENT#<digest>`): the item's attributes,
 * and the BatchGetItem read of many digests with its unprocessed keys asked again.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { InternalError } from '../core/errors';
import type { StoredSegment } from '../core/status/stored';

/** Keys per BatchGetItem call (the API's maximum), and calls for one chunk's unprocessed keys (with backoff). */
const BATCH_GET_MAX = 100;
const BATCH_GET_ATTEMPTS = 8;

/** The attributes of a stored segment item beside its keys. */
export function storedSegmentAttributes(item: StoredSegment): Record<string, unknown> {
  return {
    ...(item.kind === 'whole'
      ? { kind: 'segment', bits: item.bits }
      : { kind: 'segment-patch', base: item.base, add: item.add, count: item.count, depth: item.depth }),
    ttl: item.ttl,
  };
}

/**
 * A stored segment item as read, or undefined for an item of another shape. An item with `bits`
 * and no `kind` is whole: the exchange's `SCONTENT#` items before patch items had no `kind`.
 */
export function storedSegmentOf(item: Record<string, unknown>): StoredSegment | undefined {
  const ttl = Number(item.ttl);
  if ((item.kind === 'segment' || item.kind === undefined) && typeof item.bits === 'string')
    return { kind: 'whole', bits: item.bits, ttl };
  if (item.kind === 'segment-patch' && typeof item.base === 'string' && typeof item.add === 'string') {
    return {
      kind: 'patch',
      base: item.base,
      add: item.add,
      count: Number(item.count),
      depth: Number(item.depth),
      ttl,
    };
  }
  return undefined;
}

/**
 * The stored items of `digests` (strongly consistent BatchGetItem, 100 keys a call). Unprocessed
 * keys (throttling) are asked again with backoff (5, 10, 20… ms); still unprocessed after 8 calls
 * is `INTERNAL`, never taken as absent.
 */
export async function getStoredSegments(
  doc: DynamoDBDocumentClient,
  tableName: string,
  digests: readonly string[],
  keyOf: (digest: string) => { pk: string; sk: string },
): Promise<ReadonlyMap<string, StoredSegment>> {
  const found = new Map<string, StoredSegment>();
  const byPk = new Map<string, string>();
  const unique = [...new Set(digests)];
  for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
    let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + BATCH_GET_MAX).map((d) => {
      const key = keyOf(d);
      byPk.set(key.pk, d);
      return key;
    });
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt >= BATCH_GET_ATTEMPTS) {
        throw new InternalError(new Error('segment items left unprocessed by BatchGetItem'));
      }
      // Unprocessed keys mean throttling: back off (5, 10, 20… ms) before asking again.
      if (attempt > 0) await new Promise((r) => setTimeout(r, 5 * 2 ** (attempt - 1)));
      const out: BatchGetCommandOutput = await doc.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[tableName] ?? []) {
        const stored = storedSegmentOf(item);
        const digest = byPk.get(String(item.pk));
        if (stored && digest !== undefined) found.set(digest, stored);
      }
      keys = out.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return found;
}
