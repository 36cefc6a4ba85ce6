/**
 * The province table (`PROVINCE_TABLE`, single-table `pk`/`sk`) behind {@link ProvinceRepository}.
 *
 * Item layout (docs/province.md):
 *
 * | pk | sk | holds |
 * |---|---|---|
 * | `CODE#<codeId>` | `CODE` | one issued-code record, `ttl` = code expiry + grace |
 * | `PENDING_REVOCATION` | `<codeId>` | a revocation not yet accepted by the exchange, `ttl` = code expiry + grace |
 * | `ISSUER` | `ACTIVE_KEY` | kid the issuer signs with |
 * | `REGISTRY` | `REPLICA` | replica metadata: version, expiry, generation, digest, chunk count |
 * | `REGISTRY` | `CHUNK#<generation>#<i>` | gzip'd replica content (list + evidence), in chunks |
 * | `REGISTRY` | `SYNC` | last sync outcome |
 * | `ISSUER` | `STATUS_COUNTER` | next free status index (atomic `ADD`, reserved in blocks) |
 * | `OWN_SEGMENT` | `<segment>` | this province's own status segment: revision, expiry, packed bits |
 * | `SEGMENT_CHECK` | `SEGMENT_CHECK` | a verifier found a listed segment not held: the next sync checks every listed item, then deletes it; `ttl` a day |
 * | `SEGMENT#<digest>` | `SEGMENT` | a listed segment's content (any province): whole packed `bits`, or a patch (`base` digest, packed `add`, `count`, `depth`), `ttl` = its expiry + grace |
 *
 * Every mutation is one conditional single-item write. The replica is written chunks first, under a
 * fresh generation id nobody reads yet, then published by one conditional put of the metadata item
 * that refuses to replace a newer replica: that put is the commit, so a reader sees the old replica
 * or the new one, never a mix, and an older concurrent sync can never overwrite a newer one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { documentClient, isConditionFailed } from '../aws/dynamodb';
import { getStoredSegments, putStoredSegment } from '../aws/segment-items';
import { encodeB64url } from '../core/b64';
import { InternalError } from '../core/errors';
import type { TrustList } from '../core/schemas/types.gen';
import type { StoredSegment } from '../core/status/stored';
import type {
  OwnSegment,
  CodeRecord,
  ErasedCode,
  PendingRevocation,
  ProvinceRepository,
  Replica,
  ReplicaEvidence,
  ReplicaMeta,
  SegmentCheck,
  SunsetRecord,
  SyncStatus,
} from './repository';
import { SEGMENT_CHECK_PK } from './repository';

const SUNSET_KEY = { pk: 'SUNSET', sk: 'SUNSET' };
/** Item kinds that concern a holder: what a sunset erases. */
const HOLDER_KINDS = ['code', 'pending-revocation'];

/** Largest content chunk, in bytes (an item may hold 400 KB including names). */
export const REPLICA_CHUNK_BYTES = 300 * 1024;
/** Replica chunks outlive their list's expiry by this much (seconds) before TTL removes them. */
const CHUNK_TTL_GRACE = 7 * 86_400;

const REGISTRY = 'REGISTRY';
const PENDING_REVOCATION = 'PENDING_REVOCATION';
/** A pending revocation's item outlives its code by this much (seconds): then there is nothing to publish. */
const PENDING_TTL_GRACE = 86_400;
const codeKey = (codeId: string) => ({ pk: `CODE#${codeId}`, sk: 'CODE' });
const ownSegmentKey = (segment: number) => ({ pk: 'OWN_SEGMENT', sk: String(segment).padStart(7, '0') });
const SEGMENT_CHECK_KEY = { pk: SEGMENT_CHECK_PK, sk: SEGMENT_CHECK_PK };
/** A check nobody did (no sync running) is forgotten after a day; the verifier asks again if need be. */
const SEGMENT_CHECK_TTL = 86_400;
const segmentContentKey = (digest: string) => ({ pk: `SEGMENT#${digest}`, sk: 'SEGMENT' });
const chunkKey = (generation: string, i: number) => ({ pk: REGISTRY, sk: `CHUNK#${generation}#${i}` });
const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'ttl', 'kind']);

function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!KEY_ATTRIBUTES.has(k)) out[k] = v;
  return out as T;
}

interface StoredContent {
  readonly list: TrustList;
  readonly evidence: ReplicaEvidence;
}

/** {@link ProvinceRepository} over DynamoDB (or dynalite: same wire protocol). */
/**
 * The replica commit's condition: `compareTrustLists(stored, candidate) === 'NEWER'`
 * (functions/core/rules/lists.ts) as DynamoDB evaluates it, so a concurrent sync never replaces a
 * newer replica. test/core/rules-replica-condition.test.ts checks it against the pure function.
 */
export const REPLICA_NEWER_CONDITION =
  'attribute_not_exists(pk) OR #v < :v OR (#v = :v AND logHead = :h AND #i < :i)';

export class DynamoProvinceRepository implements ProvinceRepository {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = documentClient(client);
  }

  async putCode(record: CodeRecord, ttl: number): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...codeKey(record.codeId), kind: 'code', ...record, ttl },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getCode(codeId: string): Promise<CodeRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: codeKey(codeId), ConsistentRead: true }),
    );
    return Item && Item.erasedAt === undefined ? strip<CodeRecord>(Item) : undefined;
  }

  async markRevoked(codeId: string, revokedAt: number): Promise<CodeRecord | ErasedCode | undefined> {
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: codeKey(codeId),
          UpdateExpression: 'SET #status = :revoked, revokedAt = if_not_exists(revokedAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':revoked': 'revoked', ':at': revokedAt },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? strip<CodeRecord | ErasedCode>(Attributes) : undefined;
    } catch (e) {
      if (isConditionFailed(e)) return undefined;
      throw e;
    }
  }

  async markRevocationPublished(codeId: string, at: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: codeKey(codeId),
          UpdateExpression: 'SET revocationPublishedAt = if_not_exists(revocationPublishedAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (e) {
      // Erased meanwhile: the revocation is published all the same, there is just no record left.
      if (!isConditionFailed(e)) throw e;
    }
  }

  async deleteCode(codeId: string, at: number): Promise<boolean> {
    try {
      // One conditional update: the personal attributes go, what revocation needs stays (ErasedCode).
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: codeKey(codeId),
          UpdateExpression: 'REMOVE healthStatus, holder, reason, issuedAt, kid SET erasedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(erasedAt)',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  async putPendingRevocation(pending: PendingRevocation): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: PENDING_REVOCATION,
          sk: pending.codeId,
          kind: 'pending-revocation',
          ttl: pending.exp + PENDING_TTL_GRACE,
          ...pending,
        },
      }),
    );
  }

  async listPendingRevocations(limit: number): Promise<PendingRevocation[]> {
    const { Items = [] } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': PENDING_REVOCATION },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return Items.map((item) => {
      const { codeId, exp, revokedAt, statusIndex } = strip<PendingRevocation>(item);
      return { codeId, exp, revokedAt, ...(statusIndex !== undefined ? { statusIndex } : {}) };
    });
  }

  async deletePendingRevocation(codeId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: PENDING_REVOCATION, sk: codeId } }),
    );
  }

  async getActiveKid(): Promise<string | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: 'ISSUER', sk: 'ACTIVE_KEY' },
        ConsistentRead: true,
      }),
    );
    return typeof Item?.kid === 'string' ? Item.kid : undefined;
  }

  async setActiveKid(kid: string, at: number): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: 'ISSUER', sk: 'ACTIVE_KEY', kind: 'active-key', kid, since: at },
      }),
    );
  }

  async getReplicaMeta(): Promise<ReplicaMeta | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: REGISTRY, sk: 'REPLICA' },
        ConsistentRead: true,
      }),
    );
    return Item ? strip<ReplicaMeta>(Item) : undefined;
  }

  async getReplica(): Promise<Replica | undefined> {
    // A concurrent sync may retire the chunks of the generation just read: read the metadata again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const meta = await this.getReplicaMeta();
      if (!meta) return undefined;
      const content = await this.readChunks(meta);
      if (!content) continue;
      // A re-issue dated the list anew in the metadata only (reissueReplica): the chunks keep the rest.
      if (!meta.reissue) return { meta, list: content.list, evidence: content.evidence };
      return {
        meta,
        list: { ...content.list, issuedAt: meta.issuedAt, expiresAt: meta.expiresAt },
        evidence: { ...content.evidence, deltas: [...content.evidence.deltas, meta.reissue] },
      };
    }
    throw new InternalError(new Error('replica chunks kept disappearing'));
  }

  private async readChunks(meta: ReplicaMeta): Promise<StoredContent | undefined> {
    const parts: Buffer[] = [];
    for (let i = 0; i < meta.chunks; i++) {
      const { Item } = await this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: chunkKey(meta.generation, i),
          ConsistentRead: true,
        }),
      );
      if (!(Item?.data instanceof Uint8Array)) return undefined;
      parts.push(Buffer.from(Item.data));
    }
    const packed = Buffer.concat(parts);
    if (encodeB64url(createHash('sha256').update(packed).digest()) !== meta.digest) {
      throw new InternalError(new Error('replica content does not match its digest'));
    }
    const content = JSON.parse(gunzipSync(packed).toString('utf8')) as StoredContent;
    if (content.list?.version !== meta.version)
      throw new InternalError(new Error('replica version mismatch'));
    return content;
  }

  async putReplica(
    list: TrustList,
    evidence: ReplicaEvidence,
    syncedAt: number,
  ): Promise<{ written: boolean; meta?: ReplicaMeta }> {
    const packed = gzipSync(Buffer.from(JSON.stringify({ list, evidence } satisfies StoredContent), 'utf8'));
    const generation = encodeB64url(randomBytes(12));
    const chunks = Math.max(1, Math.ceil(packed.length / REPLICA_CHUNK_BYTES));
    const ttl = list.expiresAt + CHUNK_TTL_GRACE;
    for (let i = 0; i < chunks; i++) {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...chunkKey(generation, i),
            kind: 'replica-chunk',
            data: packed.subarray(i * REPLICA_CHUNK_BYTES, (i + 1) * REPLICA_CHUNK_BYTES),
            ttl,
          },
        }),
      );
    }
    const meta: ReplicaMeta = {
      federation: list.federation,
      version: list.version,
      issuedAt: list.issuedAt,
      expiresAt: list.expiresAt,
      logHead: list.logHead,
      generation,
      chunks,
      digest: encodeB64url(createHash('sha256').update(packed).digest()),
      syncedAt,
      chunksExpireAt: ttl,
    };
    let old: Record<string, unknown> | undefined;
    try {
      const answer = await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: REGISTRY, sk: 'REPLICA', kind: 'replica', ...meta },
          // The commit, only when compareTrustLists(stored, list) is NEWER (functions/core/rules):
          // over nothing, an older version, or the same log (version and head) issued earlier.
          ConditionExpression: REPLICA_NEWER_CONDITION,
          ExpressionAttributeNames: { '#v': 'version', '#i': 'issuedAt' },
          ExpressionAttributeValues: { ':v': list.version, ':h': list.logHead, ':i': list.issuedAt },
          ReturnValues: 'ALL_OLD',
        }),
      );
      old = answer.Attributes;
    } catch (e) {
      await this.deleteGeneration(generation, chunks);
      if (isConditionFailed(e)) return { written: false };
      throw e;
    }
    // Keep the replaced generation one more cycle (a reader may be loading it); retire the one before.
    if (old && typeof old.generation === 'string') {
      await this.doc
        .send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: REGISTRY, sk: 'REPLICA' },
            UpdateExpression: 'SET previousGeneration = :g, previousChunks = :c',
            ConditionExpression: '#gen = :mine',
            ExpressionAttributeNames: { '#gen': 'generation' },
            ExpressionAttributeValues: {
              ':g': old.generation,
              ':c': Number(old.chunks ?? 1),
              ':mine': generation,
            },
          }),
        )
        .catch((e: unknown) => {
          if (!isConditionFailed(e)) throw e;
        });
      if (typeof old.previousGeneration === 'string') {
        await this.deleteGeneration(old.previousGeneration, Number(old.previousChunks ?? 1)).catch(
          () => undefined,
        );
      }
    }
    return { written: true, meta };
  }

  async reissueReplica(
    generation: string,
    list: TrustList,
    reissue: { readonly jws: string; readonly acceptedAt: number },
    syncedAt: number,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: REGISTRY, sk: 'REPLICA' },
          UpdateExpression: 'SET #i = :i, expiresAt = :e, reissue = :r, syncedAt = :s',
          // The same generation, and compareTrustLists(stored, list) is NEWER for the same log (version
          // and head) issued later: REPLICA_NEWER_CONDITION's third arm.
          ConditionExpression: '#gen = :g AND #v = :v AND logHead = :h AND #i < :i',
          ExpressionAttributeNames: { '#gen': 'generation', '#v': 'version', '#i': 'issuedAt' },
          ExpressionAttributeValues: {
            ':g': generation,
            ':v': list.version,
            ':h': list.logHead,
            ':i': list.issuedAt,
            ':e': list.expiresAt,
            ':r': reissue,
            ':s': syncedAt,
          },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  private async deleteGeneration(generation: string, chunks: number): Promise<void> {
    for (let i = 0; i < chunks; i++) {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: chunkKey(generation, i) }));
    }
  }

  async allocateStatusIndices(count: number): Promise<number> {
    const { Attributes } = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: 'ISSUER', sk: 'STATUS_COUNTER' },
        UpdateExpression: 'ADD #next :n SET kind = :kind',
        ExpressionAttributeNames: { '#next': 'next' },
        ExpressionAttributeValues: { ':n': count, ':kind': 'status-counter' },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.next) - count;
  }

  async getOwnSegment(segment: number): Promise<OwnSegment | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: ownSegmentKey(segment), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { rev, exp, bits, count, published } = strip<OwnSegment>(Item);
    return { segment, rev, exp, bits, count, ...(published ? { published } : {}) };
  }

  async markOwnSegmentPublished(
    segment: number,
    rev: number,
    published: NonNullable<OwnSegment['published']>,
  ): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ownSegmentKey(segment),
          UpdateExpression: 'SET published = :published',
          ConditionExpression: 'rev = :rev',
          ExpressionAttributeValues: { ':published': published, ':rev': rev },
        }),
      );
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
  }

  async putOwnSegment(next: OwnSegment): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...ownSegmentKey(next.segment),
            kind: 'own-segment',
            ...next,
            ttl: next.exp + PENDING_TTL_GRACE,
          },
          ConditionExpression: next.rev === 1 ? 'attribute_not_exists(pk)' : 'rev = :prev',
          ...(next.rev === 1 ? {} : { ExpressionAttributeValues: { ':prev': next.rev - 1 } }),
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  getSegmentItems(digests: readonly string[]): Promise<ReadonlyMap<string, StoredSegment>> {
    return getStoredSegments(this.doc, this.tableName, digests, segmentContentKey);
  }

  putSegmentItem(digest: string, item: StoredSegment, whole?: () => string): Promise<void> {
    return putStoredSegment(this.doc, this.tableName, segmentContentKey(digest), item, whole);
  }

  async getSegmentCheck(): Promise<SegmentCheck | undefined> {
    // Eventually consistent (half a read unit): read on every sync run, and a check seen one run
    // late is done one run late.
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: SEGMENT_CHECK_KEY }),
    );
    return Item
      ? { at: Number(Item.at), version: Number(Item.version), unheld: Number(Item.unheld) }
      : undefined;
  }

  async requestSegmentCheck(check: SegmentCheck): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...SEGMENT_CHECK_KEY, kind: 'segment-check', ...check, ttl: check.at + SEGMENT_CHECK_TTL },
      }),
    );
  }

  async clearSegmentCheck(at: number): Promise<void> {
    await this.doc
      .send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: SEGMENT_CHECK_KEY,
          ConditionExpression: '#at = :at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':at': at },
        }),
      )
      .catch((e: unknown) => {
        if (!isConditionFailed(e)) throw e;
      });
  }

  async getSyncStatus(): Promise<SyncStatus | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: REGISTRY, sk: 'SYNC' }, ConsistentRead: true }),
    );
    return Item ? strip<SyncStatus>(Item) : undefined;
  }

  async getSunset(): Promise<SunsetRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: SUNSET_KEY, ConsistentRead: true }),
    );
    return Item ? strip<SunsetRecord>(Item) : undefined;
  }

  async beginSunset(at: number): Promise<SunsetRecord> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...SUNSET_KEY, kind: 'sunset', at },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
    return (await this.getSunset()) as SunsetRecord;
  }

  async putSunsetReport(report: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: SUNSET_KEY,
        UpdateExpression: 'SET report = :r',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':r': report },
      }),
    );
  }

  eraseHolderData(): Promise<{ kind: string; count: number }[]> {
    return this.visitHolderData(async (k) => {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: k }));
    });
  }

  countHolderData(): Promise<{ kind: string; count: number }[]> {
    return this.visitHolderData(async () => undefined);
  }

  async keepErasureTally(
    count: () => Promise<{ kind: string; count: number }[]>,
  ): Promise<{ kind: string; count: number }[]> {
    const kept = (await this.getSunset())?.tally;
    if (kept) return kept;
    const { Attributes } = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: SUNSET_KEY,
        UpdateExpression: 'SET tally = if_not_exists(tally, :t)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':t': await count() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return (Attributes as { tally: { kind: string; count: number }[] }).tally;
  }

  /** Scan every holder item (issued codes, pending revocations), `visit` each, count them per kind. */
  private async visitHolderData(
    visit: (k: Record<string, unknown>) => Promise<void>,
  ): Promise<{ kind: string; count: number }[]> {
    const counts = new Map<string, number>(HOLDER_KINDS.map((k) => [k, 0]));
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: '#kind IN (:a, :b)',
          ProjectionExpression: 'pk, sk, #kind',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: { ':a': HOLDER_KINDS[0], ':b': HOLDER_KINDS[1] },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const item of page.Items ?? []) {
        await visit({ pk: item.pk, sk: item.sk });
        const kind = String(item.kind);
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return [...counts].map(([kind, count]) => ({ kind: kind === 'code' ? 'issued-code' : kind, count }));
  }

  async putSyncStatus(status: SyncStatus): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: REGISTRY, sk: 'SYNC', kind: 'sync', ...status },
      }),
    );
  }
}
