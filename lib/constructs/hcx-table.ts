import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, type Attribute, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { KeyAttribute, TableDefinition } from '../../functions/core/storage/tables';

const TYPES = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;

function attribute(a: KeyAttribute): Attribute {
  return { name: a.name, type: TYPES[a.type] };
}

export interface HcxTableProps {
  /** The shared definition (`functions/core/storage/tables.ts`): keys, indexes, TTL attribute. */
  readonly definition: TableDefinition;
  /** Customer-managed symmetric key encrypting the table. */
  readonly encryptionKey: IKey;
}

/**
 * A DynamoDB table built from the definition the embedded runtime also uses, so the two cannot
 * drift: on demand, point-in-time recovery, deletion protection, customer-managed encryption, TTL.
 * A global table (TableV2), so the operator can add replicas in other regions without replacing it.
 */
export class HcxTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: HcxTableProps) {
    super(scope, id);
    const def = props.definition;
    this.table = new TableV2(this, 'Table', {
      partitionKey: attribute(def.partitionKey),
      sortKey: def.sortKey && attribute(def.sortKey),
      timeToLiveAttribute: def.ttlAttribute,
      globalSecondaryIndexes: def.globalSecondaryIndexes.map((i) => ({
        indexName: i.indexName,
        partitionKey: attribute(i.partitionKey),
        sortKey: i.sortKey && attribute(i.sortKey),
      })),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryptionV2.customerManagedKey(props.encryptionKey),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
