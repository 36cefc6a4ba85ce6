import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * An asymmetric KMS key (ECC_NIST_P256, or SM2 in the China regions; SIGN_VERIFY): the federation
 * key of the exchange or the issuer key of a province. The private key never leaves KMS.
 *
 * Asymmetric keys cannot rotate automatically (cdk-nag's KMS5 only asks it of symmetric keys);
 * rotation is the `hcx keys rotate` procedure in docs/deploy.md: deploy a new key, publish its public
 * JWK, switch the signer, revoke the old one as `superseded`.
 */
export class SigningKey extends Construct {
  readonly key: Key;

  constructor(
    scope: Construct,
    id: string,
    props: { readonly description: string; readonly keySpec?: KeySpec.ECC_NIST_P256 | KeySpec.SM2 },
  ) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      keySpec: props.keySpec ?? KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      description: props.description,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Denies `kms:Sign` in the key policy to every principal but the given roles. The IAM grants
   * already give Sign to those roles only; this deny also holds against an administrator whose own
   * policy allows `kms:*`.
   */
  restrictSigningTo(...roles: iam.IRole[]): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: roles.length > 0 ? 'OnlyTheSignerMaySign' : 'NotSigningYet',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Sign'],
        resources: ['*'],
        conditions:
          roles.length > 0
            ? { ArnNotEquals: { 'aws:PrincipalArn': roles.map((r) => r.roleArn) } }
            : undefined,
      }),
    );
  }
}

/** The generations of a signing key during a rotation (docs/deploy.md). */
export interface SigningKeyPair {
  /** The key the signer uses. */
  readonly active: SigningKey;
  /**
   * The key being introduced: its public key is published first. The stack decides who may sign
   * with it ({@link SigningKey.restrictSigningTo}, called once per key).
   */
  readonly next?: SigningKey;
}

/**
 * Creates the `active` generation (and the `next` one during a rotation). Generation 1 keeps the
 * plain construct id, so a stack deployed before any rotation keeps its key.
 */
export function signingKeyGenerations(
  scope: Construct,
  id: string,
  description: string,
  generations: { readonly active: number; readonly next?: number } = { active: 1 },
  keySpec?: KeySpec.ECC_NIST_P256 | KeySpec.SM2,
): SigningKeyPair {
  const make = (generation: number): SigningKey =>
    new SigningKey(scope, generation === 1 ? id : `${id}V${generation}`, {
      description: `${description} (generation ${generation})`,
      keySpec,
    });
  const active = make(generations.active);
  const next = generations.next === undefined ? undefined : make(generations.next);
  return { active, next };
}

/**
 * The stack's symmetric customer-managed key (automatic yearly rotation) for data at rest: the
 * table, the alarm topic, the enrollment secret.
 */
export class DataKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: { readonly description: string }) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      enableKeyRotation: true,
      description: props.description,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish to the encrypted alarm topic.
    this.key.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
  }
}
