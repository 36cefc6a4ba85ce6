/**
 * The exchange repository on one DynamoDB table (EXCHANGE_TABLE: string `pk`/`sk`, `ttl`).
 * Only single-item writes, each conditional where it decides something: the embedded engine has no
 * transactions. Item layout and the reasons for it: docs/exchange.md.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type NativeAttributeValue,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { documentClient, isConditionFailed } from '../aws/dynamodb';
import { getStoredSegments, putStoredSegment } from '../aws/segment-items';
import type { KeyMaterial } from '../core/algorithms';
import { parseStrictJson } from '../core/json';
import { LIMITS } from '../core/profiles';
import { shortKid } from '../core/keys';
import type { LogEntry } from '../core/schemas/types.gen';
import type { StoredSegment } from '../core/status/stored';
import type {
  ErasedCount,
  ExchangeRepository,
  KeyRecord,
  KidOwner,
  ProvinceRecord,
  StatusSegmentRecord,
  StoredDelta,
  Checkpoint,
} from './repository';

/** An item as the document client reads and writes it (plain values; binary as `Uint8Array`). */
type Item = Record<string, NativeAttributeValue>;

/** Partition and sort keys of every item kind. */
export const ITEM_KEYS = {
  log: (seq: number) => ({ pk: 'LOG', sk: String(seq).padStart(12, '0') }),
  projection: () => ({ pk: 'META', sk: 'PROJECTION' }),
  province: (region: string) => ({ pk: 'PROVINCE', sk: region }),
  key: (region: string, kid: string) => ({ pk: `KEY#${region}`, sk: kid }),
  kid: (kid: string) => ({ pk: `KID#${kid}`, sk: 'KID' }),
  /** By short kid (the first 11 characters of the thumbprint), to refuse a second key with the same one. */
  shortKid: (short: string) => ({ pk: `SKID#${short}`, sk: 'SKID' }),
  codeRevocation: (region: string, jti: string) => ({ pk: `CREV#${region}`, sk: jti }),
  nonce: (jti: string) => ({ pk: `NONCE#${jti}`, sk: 'NONCE' }),
  batchMeta: (hash: string) => ({ pk: `SBATCH#${hash}`, sk: 'META' }),
  batchChunk: (hash: string, i: number) => ({
    pk: `SBATCH#${hash}`,
    sk: `CHUNK#${String(i).padStart(4, '0')}`,
  }),
  statusSegment: (region: string, segment: number) => ({
    pk: `SSEG#${region}`,
    sk: String(segment).padStart(7, '0'),
  }),
  /** An accepted segment revision's content by its digest, whole or a patch item: the base of the next patch. */
  segmentContent: (digest: string) => ({ pk: `SCONTENT#${digest}`, sk: 'CONTENT' }),
  delta: (from: number) => ({ pk: `DELTA#${from}`, sk: 'DELTA' }),
  publishedVersions: () => ({ pk: 'PUBLISHED', sk: 'VERSIONS' }),
  checkpoint: () => ({ pk: 'CHECKPOINT', sk: 'HEAD' }),
  checkpointChunk: (version: number, i: number) => ({
    pk: `CHECKPOINT#${version}`,
    sk: `CHUNK#${String(i).padStart(4, '0')}`,
  }),
  finalTrustList: () => ({ pk: 'SUNSET', sk: 'FINAL_TRUST_LIST' }),
  deletionReport: () => ({ pk: 'SUNSET', sk: 'DELETION_REPORT' }),
  erasureTally: () => ({ pk: 'SUNSET', sk: 'ERASURE_TALLY' }),
} as const;

/** Largest chunk of a stored status batch, in bytes (an item holds 400 KB with its names). */
export const BATCH_CHUNK_BYTES = 350 * 1024;

/** The kind of an item by its partition key, as a deletion report names it. */
function itemKind(pk: string): string {
  if (pk === 'PROVINCE') return 'province';
  if (pk === 'META') return 'projection-cursor';
  if (pk.startsWith('KEY#')) return 'signing-key';
  if (pk.startsWith('KID#')) return 'kid-owner';
  if (pk.startsWith('CREV#')) return 'code-revocation';
  if (pk.startsWith('NONCE#')) return 'request-nonce';
  if (pk.startsWith('SSEG#')) return 'status-segment';
  if (pk.startsWith('DELTA#') || pk === 'PUBLISHED') return 'trust-list-delta';
  if (pk.startsWith('CHECKPOINT')) return 'checkpoint';
  if (pk.startsWith('LANE#')) return 'append-lease';
  return 'other';
}

const num = (v: NativeAttributeValue): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: NativeAttributeValue): string | undefined => (typeof v === 'string' ? v : undefined);
const binary = (v: NativeAttributeValue): Uint8Array | undefined => (v instanceof Uint8Array ? v : undefined);

// A projected item is only ever replaced by the projection of a later log entry, so a slow writer
// re-projecting an old entry can never undo a newer change (a revoked key turning active again).
const NEWER = 'attribute_not_exists(pk) OR seq < :seq';

/** {@link ExchangeRepository} over a DynamoDB table. */
export class DynamoExchangeRepository implements ExchangeRepository {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = documentClient(client);
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>, max = Infinity): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          ...input,
          TableName: this.tableName,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start && items.length < max);
    return items.slice(0, max);
  }

  private async get(k: { pk: string; sk: string }): Promise<Item | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: k, ConsistentRead: true }),
    );
    return out.Item;
  }

  /** A put that only decides when `condition` holds; false on ConditionalCheckFailed. */
  private async putIf(
    item: Item,
    condition: string,
    values?: Item,
    names?: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
          ExpressionAttributeNames: names,
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  private async updateIf(
    k: { pk: string; sk: string },
    update: string,
    condition: string,
    names: Record<string, string> | undefined,
    values: Item,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: k,
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  async lastEntry(): Promise<LogEntry | undefined> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'LOG' },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    return item ? (JSON.parse(item.doc as string) as LogEntry) : undefined;
  }

  async readLog(afterSeq: number, limit: number): Promise<LogEntry[]> {
    const items = await this.queryAll(
      {
        KeyConditionExpression: 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: { ':pk': 'LOG', ':after': ITEM_KEYS.log(afterSeq).sk },
        Limit: Math.min(limit, 1000),
      },
      limit,
    );
    return items.map((i) => JSON.parse(i.doc as string) as LogEntry);
  }

  appendEntry(entry: LogEntry): Promise<boolean> {
    // The entry is stored as its JSON text: what is hashed is exactly what is read back.
    return this.putIf(
      { ...ITEM_KEYS.log(entry.seq), seq: entry.seq, doc: JSON.stringify(entry) },
      'attribute_not_exists(pk)',
    );
  }

  async projectedThrough(): Promise<number> {
    return num((await this.get(ITEM_KEYS.projection()))?.seq) ?? 0;
  }

  async project(entries: readonly LogEntry[]): Promise<void> {
    for (const entry of entries) await this.projectOne(entry);
    const last = entries.at(-1);
    if (last) {
      await this.putIf({ ...ITEM_KEYS.projection(), seq: last.seq }, NEWER, { ':seq': last.seq });
    }
  }

  /** The kid index and the short-kid index of a key `entry` brought in (both written once, by seq). */
  private async indexKid(
    entry: LogEntry & { region: string },
    kid: string,
    use: 'signing' | 'enrollment',
  ): Promise<void> {
    const seq = { ':seq': entry.seq };
    await this.putIf({ ...ITEM_KEYS.kid(kid), seq: entry.seq, region: entry.region, use }, NEWER, seq);
    await this.putIf(
      {
        ...ITEM_KEYS.shortKid(shortKid(kid)),
        seq: entry.seq,
        kid,
        region: entry.region,
        use,
      },
      NEWER,
      seq,
    );
  }

  private async projectOne(entry: LogEntry): Promise<void> {
    const seq = { ':seq': entry.seq };
    switch (entry.type) {
      case 'province.registered': {
        const { name, enrollmentKey } = entry.data;
        const { kid, alg, ...jwk } = enrollmentKey as typeof enrollmentKey & { kid: string; alg: string };
        await this.putIf(
          {
            ...ITEM_KEYS.province(entry.region),
            seq: entry.seq,
            name,
            status: 'active',
            enrollmentKid: kid,
            enrollmentAlg: alg,
            enrollmentJwk: JSON.stringify(jwk),
            registeredAt: entry.at,
          },
          NEWER,
          seq,
        );
        await this.indexKid(entry, kid, 'enrollment');
        return;
      }
      case 'province.sunset':
        await this.updateIf(
          ITEM_KEYS.province(entry.region),
          'SET #status = :status, seq = :seq',
          'attribute_exists(pk) AND seq < :seq',
          { '#status': 'status' },
          { ...seq, ':status': 'sunset' },
        );
        for (const kid of entry.data.retired) {
          await this.updateIf(
            ITEM_KEYS.key(entry.region, kid),
            'SET #status = :status, revokedAt = :at, reason = :reason, seq = :seq',
            'attribute_exists(pk) AND seq < :seq',
            { '#status': 'status' },
            { ...seq, ':status': 'revoked', ':at': entry.at, ':reason': 'retired' },
          );
        }
        return;
      case 'federation.sunset':
        // Nothing to project: the sunset erases the projections themselves.
        return;
      case 'province.suspended':
      case 'province.resumed':
        await this.updateIf(
          ITEM_KEYS.province(entry.region),
          'SET #status = :status, seq = :seq',
          'attribute_exists(pk) AND seq < :seq',
          { '#status': 'status' },
          { ...seq, ':status': entry.type === 'province.suspended' ? 'suspended' : 'active' },
        );
        return;
      case 'province.reenrolled': {
        // The new enrollment key replaces the old one for signed requests; the old kid stays in the
        // kid index, so it can never be registered or published again.
        const { kid, alg, ...jwk } = entry.data.enrollmentKey as typeof entry.data.enrollmentKey & {
          kid: string;
          alg: string;
        };
        await this.updateIf(
          ITEM_KEYS.province(entry.region),
          'SET enrollmentKid = :kid, enrollmentAlg = :alg, enrollmentJwk = :jwk, ' +
            'enrollments = if_not_exists(enrollments, :one) + :one, seq = :seq',
          'attribute_exists(pk) AND seq < :seq',
          undefined,
          { ...seq, ':kid': kid, ':alg': alg, ':jwk': JSON.stringify(jwk), ':one': 1 },
        );
        await this.indexKid(entry, kid, 'enrollment');
        return;
      }
      case 'key.published': {
        const { kid, alg, jwk, notBefore, notAfter } = entry.data;
        await this.putIf(
          {
            ...ITEM_KEYS.key(entry.region, kid),
            seq: entry.seq,
            alg,
            jwk: JSON.stringify(jwk),
            notBefore,
            notAfter,
            status: 'active',
          },
          NEWER,
          seq,
        );
        await this.indexKid(entry, kid, 'signing');
        return;
      }
      case 'key.revoked':
        await this.updateIf(
          ITEM_KEYS.key(entry.region, entry.data.kid),
          'SET #status = :status, revokedAt = :at, reason = :reason, seq = :seq',
          'attribute_exists(pk) AND seq < :seq',
          { '#status': 'status' },
          {
            ...seq,
            ':status': 'revoked',
            ':at': entry.data.revokedAt,
            ':reason': entry.data.reason,
          },
        );
        return;
      case 'status.published':
        for (const ref of entry.data.segments) {
          await this.putIf(
            {
              ...ITEM_KEYS.statusSegment(entry.region, ref.segment),
              seq: entry.seq,
              rev: ref.rev,
              exp: ref.exp,
              count: ref.count,
              digest: ref.digest,
              batch: entry.data.batch,
              ...(ref.depth !== undefined ? { depth: ref.depth } : {}),
              // The batch itself stays (the log commits to it); the projection is only the working set.
              ttl: ref.exp + LIMITS.clockSkew,
            },
            NEWER,
            seq,
          );
        }
        return;
      case 'code.revoked':
        await this.putIf(
          {
            ...ITEM_KEYS.codeRevocation(entry.region, entry.data.jti),
            seq: entry.seq,
            exp: entry.data.exp,
            revokedAt: entry.data.revokedAt,
            // Kept as long as the code could verify; after that a revocation means nothing.
            ttl: entry.data.exp + LIMITS.clockSkew,
          },
          NEWER,
          seq,
        );
        return;
    }
  }

  private static province(item: Item): ProvinceRecord {
    return {
      region: item.sk as string,
      name: str(item.name) as string,
      status: (['suspended', 'sunset'] as const).find((s) => s === str(item.status)) ?? 'active',
      enrollmentKid: str(item.enrollmentKid) as string,
      enrollmentAlg: str(item.enrollmentAlg) as string,
      enrollmentJwk: JSON.parse(str(item.enrollmentJwk) as string) as KeyMaterial,
      registeredAt: num(item.registeredAt) as number,
      enrollments: num(item.enrollments) ?? 1,
    };
  }

  private static key(region: string, item: Item): KeyRecord {
    const revoked = str(item.status) === 'revoked';
    return {
      region,
      kid: item.sk as string,
      alg: str(item.alg) as string,
      jwk: JSON.parse(str(item.jwk) as string) as KeyMaterial,
      notBefore: num(item.notBefore) as number,
      notAfter: num(item.notAfter) as number,
      status: revoked ? 'revoked' : 'active',
      ...(revoked ? { revokedAt: num(item.revokedAt), reason: str(item.reason) } : {}),
    };
  }

  async getProvince(region: string): Promise<ProvinceRecord | undefined> {
    const item = await this.get(ITEM_KEYS.province(region));
    return item ? DynamoExchangeRepository.province(item) : undefined;
  }

  async listProvinces(): Promise<ProvinceRecord[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'PROVINCE' },
    });
    return items.map((i) => DynamoExchangeRepository.province(i));
  }

  async kidOwner(kid: string): Promise<KidOwner | undefined> {
    const item = await this.get(ITEM_KEYS.kid(kid));
    if (!item) return undefined;
    return {
      kid,
      region: str(item.region) as string,
      use: str(item.use) === 'enrollment' ? 'enrollment' : 'signing',
    };
  }

  async shortKidOwner(short: string): Promise<KidOwner | undefined> {
    const item = await this.get(ITEM_KEYS.shortKid(short));
    if (!item) return undefined;
    return {
      kid: str(item.kid) as string,
      region: str(item.region) as string,
      use: str(item.use) === 'enrollment' ? 'enrollment' : 'signing',
    };
  }

  async getKey(region: string, kid: string): Promise<KeyRecord | undefined> {
    const item = await this.get(ITEM_KEYS.key(region, kid));
    return item ? DynamoExchangeRepository.key(region, item) : undefined;
  }

  async listKeys(region: string): Promise<KeyRecord[]> {
    const pk = ITEM_KEYS.key(region, '').pk;
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
    });
    return items.map((i) => DynamoExchangeRepository.key(region, i));
  }

  async isCodeRevoked(region: string, jti: string): Promise<boolean> {
    return (await this.get(ITEM_KEYS.codeRevocation(region, jti))) !== undefined;
  }

  async putBatch(hash: string, jws: string): Promise<void> {
    const bytes = Buffer.from(jws, 'utf8');
    const chunks = Math.max(1, Math.ceil(bytes.length / BATCH_CHUNK_BYTES));
    for (let i = 0; i < chunks; i++) {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...ITEM_KEYS.batchChunk(hash, i),
            data: bytes.subarray(i * BATCH_CHUNK_BYTES, (i + 1) * BATCH_CHUNK_BYTES),
          },
        }),
      );
    }
    // Written last: a batch is there once its metadata is (content-addressed, so rewriting is harmless).
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...ITEM_KEYS.batchMeta(hash), chunks, bytes: bytes.length },
      }),
    );
  }

  async getBatch(hash: string): Promise<string | undefined> {
    const meta = await this.get(ITEM_KEYS.batchMeta(hash));
    if (!meta) return undefined;
    const chunks = num(meta.chunks) ?? 0;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < chunks; i++) {
      const item = await this.get(ITEM_KEYS.batchChunk(hash, i));
      const data = binary(item?.data);
      if (!data) return undefined;
      parts.push(data);
    }
    return Buffer.concat(parts).toString('utf8');
  }

  async getStatusSegment(region: string, segment: number): Promise<StatusSegmentRecord | undefined> {
    const item = await this.get(ITEM_KEYS.statusSegment(region, segment));
    if (!item) return undefined;
    return {
      region,
      segment,
      rev: num(item.rev) as number,
      exp: num(item.exp) as number,
      count: num(item.count) as number,
      digest: str(item.digest) as string,
      batch: str(item.batch) as string,
      ...(num(item.depth) !== undefined ? { depth: num(item.depth) as number } : {}),
    };
  }

  putSegmentItem(digest: string, item: StoredSegment, whole?: () => string): Promise<void> {
    return putStoredSegment(this.doc, this.tableName, ITEM_KEYS.segmentContent(digest), item, whole);
  }

  getSegmentItems(digests: readonly string[]): Promise<ReadonlyMap<string, StoredSegment>> {
    return getStoredSegments(this.doc, this.tableName, digests, ITEM_KEYS.segmentContent);
  }

  countLiveSegments(region: string, now: number): Promise<number> {
    return this.countLive(ITEM_KEYS.statusSegment(region, 0).pk, now);
  }

  countLiveCodeRevocations(region: string, now: number): Promise<number> {
    return this.countLive(ITEM_KEYS.codeRevocation(region, '').pk, now);
  }

  /** Items of partition `pk` whose `exp` is still live at `now`. */
  private async countLive(pk: string, now: number): Promise<number> {
    let count = 0;
    let start: Item | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: '#exp >= :live',
          ExpressionAttributeNames: { '#exp': 'exp' },
          ExpressionAttributeValues: {
            ':pk': pk,
            ':live': now - LIMITS.clockSkew,
          },
          Select: 'COUNT',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  consumeNonce(jti: string, expiresAt: number): Promise<boolean> {
    return this.putIf({ ...ITEM_KEYS.nonce(jti), ttl: expiresAt }, 'attribute_not_exists(pk)');
  }

  async getDelta(from: number): Promise<StoredDelta | undefined> {
    const item = await this.get(ITEM_KEYS.delta(from));
    if (!item) return undefined;
    return {
      from,
      to: num(item.to) as number,
      issuedAt: num(item.issuedAt) as number,
      expiresAt: num(item.expiresAt) as number,
      jws: str(item.doc) as string,
    };
  }

  async putDelta(delta: StoredDelta): Promise<void> {
    await this.putIf(
      {
        ...ITEM_KEYS.delta(delta.from),
        to: delta.to,
        issuedAt: delta.issuedAt,
        expiresAt: delta.expiresAt,
        // Gone with the delta (DynamoDB TTL in AWS; the route also refuses an expired one).
        ttl: delta.expiresAt,
        doc: delta.jws,
      },
      'attribute_not_exists(pk) OR #to < :to OR (#to = :to AND issuedAt < :iat)',
      { ':to': delta.to, ':iat': delta.issuedAt },
      { '#to': 'to' },
    );
  }

  async getPublishedVersions(): Promise<number[]> {
    const item = await this.get(ITEM_KEYS.publishedVersions());
    return (item?.versions as number[] | undefined) ?? [];
  }

  async putPublishedVersions(versions: readonly number[]): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...ITEM_KEYS.publishedVersions(), versions: [...versions] },
      }),
    );
  }

  async checkpointVersion(): Promise<number | undefined> {
    return num((await this.get(ITEM_KEYS.checkpoint()))?.version);
  }

  async getCheckpoint(): Promise<Checkpoint | undefined> {
    const head = await this.get(ITEM_KEYS.checkpoint());
    if (!head) return undefined;
    const version = num(head.version) as number;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < (num(head.chunks) ?? 0); i++) {
      const item = await this.get(ITEM_KEYS.checkpointChunk(version, i));
      const data = binary(item?.data);
      if (!data) return undefined;
      parts.push(data);
    }
    const packed = Buffer.concat(parts);
    if (createHash('sha256').update(packed).digest('base64url') !== str(head.digest)) return undefined;
    return { version, logHead: str(head.logHead) as string, list: gunzipSync(packed).toString('utf8') };
  }

  async putCheckpoint(checkpoint: Checkpoint): Promise<void> {
    const packed = gzipSync(Buffer.from(checkpoint.list, 'utf8'));
    const chunks = Math.max(1, Math.ceil(packed.length / BATCH_CHUNK_BYTES));
    for (let i = 0; i < chunks; i++) {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...ITEM_KEYS.checkpointChunk(checkpoint.version, i),
            data: packed.subarray(i * BATCH_CHUNK_BYTES, (i + 1) * BATCH_CHUNK_BYTES),
          },
        }),
      );
    }
    const previous = await this.get(ITEM_KEYS.checkpoint());
    // The commit: the pointer moves forward only; the content it names is already written.
    const moved = await this.putIf(
      {
        ...ITEM_KEYS.checkpoint(),
        version: checkpoint.version,
        logHead: checkpoint.logHead,
        chunks,
        digest: createHash('sha256').update(packed).digest('base64url'),
      },
      'attribute_not_exists(pk) OR version < :v',
      { ':v': checkpoint.version },
    );
    const stale = moved ? previous : { version: checkpoint.version, chunks };
    const staleVersion = num(stale?.version);
    if (staleVersion === undefined || (moved && staleVersion === checkpoint.version)) return;
    for (let i = 0; i < (num(stale?.chunks) ?? 0); i++) {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: ITEM_KEYS.checkpointChunk(staleVersion, i),
        }),
      );
    }
  }

  async getFinalTrustList(): Promise<string | undefined> {
    return str((await this.get(ITEM_KEYS.finalTrustList()))?.doc);
  }

  async putFinalTrustList(jws: string): Promise<void> {
    await this.putIf({ ...ITEM_KEYS.finalTrustList(), doc: jws }, 'attribute_not_exists(pk)');
  }

  async getDeletionReport(): Promise<string | undefined> {
    return str((await this.get(ITEM_KEYS.deletionReport()))?.doc);
  }

  async putDeletionReport(jws: string): Promise<void> {
    await this.putIf({ ...ITEM_KEYS.deletionReport(), doc: jws }, 'attribute_not_exists(pk)');
  }

  async countOperationalData(): Promise<ErasedCount[]> {
    return this.visitOperationalData(async () => undefined);
  }

  async keepErasureTally(count: () => Promise<ErasedCount[]>): Promise<ErasedCount[]> {
    const kept = async () => str((await this.get(ITEM_KEYS.erasureTally()))?.doc);
    let doc = await kept();
    if (doc === undefined) {
      await this.putIf(
        { ...ITEM_KEYS.erasureTally(), doc: JSON.stringify(await count()) },
        'attribute_not_exists(pk)',
      );
      doc = (await kept()) as string;
    }
    return parseStrictJson(doc) as ErasedCount[];
  }

  eraseOperationalData(): Promise<ErasedCount[]> {
    return this.visitOperationalData(async (k) => {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: k }));
    });
  }

  /** Scan every operational item (all but LOG and SUNSET), `visit` each, count them per kind. */
  private async visitOperationalData(visit: (k: Item) => Promise<void>): Promise<ErasedCount[]> {
    const counts = new Map<string, number>();
    let start: Item | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const item of page.Items ?? []) {
        const pk = item.pk as string;
        // The log and the status batches it commits to (public, no personal data: the final list's
        // segments are opened from them) stay, as do the final list, the erasure tally and the report.
        if (pk === 'LOG' || pk === 'SUNSET' || pk.startsWith('SBATCH#')) continue;
        await visit({ pk: item.pk, sk: item.sk });
        const kind = itemKind(pk);
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return [...counts].map(([kind, count]) => ({ kind, count })).sort((a, b) => a.kind.localeCompare(b.kind));
  }
}
