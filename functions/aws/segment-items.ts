/**
 * Stored segment items (functions/core/status/stored.ts) in a DynamoDB table, shared by the
 * province node (`SEGMENT#<digest>`) and the exchange (`SCONTENT#<digest>`): the item's attributes,
 * and the BatchGetItem read of many digests with its unprocessed keys asked again.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { InternalError } from '../core/errors';
import type { StoredSegment } from '../core/status/stored';
import { isConditionFailed } from './dynamodb';

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
 * Keeps `item` under `key`, never shortening what is stored there. Items are content-addressed, so
 * two segments (or two revisions) with the same content share one item; each writer's chain lives
 * at least as long as its own item (functions/core/status/stored.ts), so an item may replace one
 * that expires no later (condition on `ttl`). When the item stored there lives longer (another
 * segment with the same content wrote it), the content is written whole with the longer `ttl`: a
 * whole item needs no link, so nothing that named either item loses it early, and a broken item
 * is replaced all the same. `whole` gives the packed content; without it (a test writing an item
 * on purpose) the longer-lived item is kept.
 */
export async function putStoredSegment(
  doc: DynamoDBDocumentClient,
  tableName: string,
  key: { pk: string; sk: string },
  item: StoredSegment,
  whole?: () => string,
): Promise<void> {
  try {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...key, ...storedSegmentAttributes(item) },
        ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':ttl': item.ttl },
      }),
    );
  } catch (e) {
    if (!isConditionFailed(e)) throw e;
    if (!whole) return;
    const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
    const ttl = Math.max(item.ttl, Number(Item?.ttl) || 0);
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...key, ...storedSegmentAttributes({ kind: 'whole', bits: whole(), ttl }) },
      }),
    );
  }
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
