/**
 * Erasure of the province's enrollment key in AWS at its sunset: the private JWK lives in a Secrets
 * Manager secret, deleted with `DeleteSecret` and `ForceDeleteWithoutRecovery` (no recovery window).
 *
 * Why no recovery window: a secret pending deletion can be restored (`RestoreSecret`) for 7 to 30
 * days, and with it the key that signed the province's deletion report and its log entries. A
 * province's sunset cannot be undone anyway (the exchange log retires its keys and accepts nothing
 * more from it but a repeat of `province.sunset`), so a window would only keep a signing key alive
 * for nothing. The report is signed and stored before the secret is deleted, so a retried sunset
 * never needs the key again. KMS keys are different: KMS has no immediate deletion, so they are
 * disabled first (./kms-shredder.ts).
 *
 * Only the province sunset function is built with it, and only its role may call `DeleteSecret`
 * on the secret (lib/stacks/province-stack.ts).
 */
import {
  DeleteSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { KeyShredder } from '../core/sunset/key-shredder';

let shared: SecretsManagerClient | undefined;

/**
 * A shredder of the enrollment secret `secretId`; `kid` gives the JOSE kid of the key it holds (read
 * only by the plan, i.e. before the secret is gone). The client defaults to one per process.
 */
export function secretShredder(
  secretId: string,
  kid: () => Promise<string>,
  client?: SecretsManagerClient,
): KeyShredder {
  const sm = () => client ?? (shared ??= new SecretsManagerClient({}));
  return {
    plan: async () => [{ kid: await kid(), use: 'enrollment', store: 'secret', action: 'destroyed' }],
    destroy: async () => {
      try {
        await sm().send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
      } catch (e) {
        // Gone already (a retried sunset): nothing left to destroy.
        if (
          !(e instanceof ResourceNotFoundException) &&
          (e as { name?: string })?.name !== 'ResourceNotFoundException'
        )
          throw e;
      }
    },
  };
}
