import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';

/** The KMS actions of crypto-erasure at sunset (functions/aws/kms-shredder.ts). */
export const CRYPTO_ERASURE_ACTIONS = ['kms:DisableKey', 'kms:ScheduleKeyDeletion'] as const;

/**
 * Lets exactly `role` (the sunset function) disable `keys` and schedule their deletion: an IAM grant
 * to it, and a deny in each key policy for every other principal, which holds even against an
 * administrator whose own policy allows `kms:*`. Nobody else can end the federation's keys early.
 */
export function allowCryptoErasureOnlyTo(role: iam.IRole, keys: readonly IKey[]): void {
  for (const [i, key] of keys.entries()) {
    key.grant(role, ...CRYPTO_ERASURE_ACTIONS);
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: i === 0 ? 'OnlyTheSunsetMayDestroy' : `OnlyTheSunsetMayDestroy${i}`,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...CRYPTO_ERASURE_ACTIONS],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
      }),
    );
  }
}

/** The Secrets Manager action that deletes the enrollment secret at sunset (secret-shredder.ts). */
export const SECRET_ERASURE_ACTION = 'secretsmanager:DeleteSecret';

/**
 * Lets `role` (the province sunset function) delete `secret`: an IAM grant on that one secret. No
 * other function of the stack is granted it.
 */
export function allowSecretErasureTo(role: iam.IRole, secret: ISecret): void {
  iam.Grant.addToPrincipal({
    grantee: role,
    actions: [SECRET_ERASURE_ACTION],
    resourceArns: [secret.secretArn],
  });
}
