/**
 * The DynamoDB table definitions, written once: the CDK stacks (`lib/`) and the embedded runtime
 * (`bin/start.ts`, tests) both build their tables from these, so the two cannot drift.
 *
 * Both tables are single-table designs keyed by a string partition key `pk` and sort key `sk`; the
 * item layouts live next to the repositories that write them. `ttl` holds the expiry in epoch
 * seconds (DynamoDB TTL in AWS; the embedded runtime sweeps it itself).
 */

/** A key attribute of a table or index. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

/** A global secondary index. */
export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

/** A table, independent of CDK and of the SDK. */
export interface TableDefinition {
  /** Logical id (CDK construct id) and the embedded runtime's table name prefix. */
  readonly id: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly ttlAttribute?: string;
  readonly globalSecondaryIndexes: readonly IndexDefinition[];
}

/** The exchange's table: provinces, keys, code revocations, request nonces, the log. */
export const EXCHANGE_TABLE: TableDefinition = {
  id: 'ExchangeTable',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  ttlAttribute: 'ttl',
  globalSecondaryIndexes: [],
};

/** A province node's table: issued-code records, the registry replica, the sync cursor. */
export const PROVINCE_TABLE: TableDefinition = {
  id: 'ProvinceTable',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  ttlAttribute: 'ttl',
  globalSecondaryIndexes: [],
};

/** Every attribute that appears in a key schema, once (for CreateTable's AttributeDefinitions). */
export function keyAttributes(def: TableDefinition): KeyAttribute[] {
  const all = [
    def.partitionKey,
    def.sortKey,
    ...def.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  const seen = new Map<string, KeyAttribute>();
  for (const a of all) if (a && !seen.has(a.name)) seen.set(a.name, a);
  return [...seen.values()];
}
