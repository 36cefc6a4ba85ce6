/**
 * Crypto-erasure of AWS KMS keys at sunset: `DisableKey` (from that moment nothing can be signed),
 * then `ScheduleKeyDeletion` with the shortest window KMS allows ({@link KEY_DELETION_WINDOW_DAYS}).
 * Only the sunset functions are built with it, and only their roles may call these two actions
 * (lib/constructs/sunset-access.ts).
 */
import {
  DisableKeyCommand,
  KMSClient,
  KMSInvalidStateException,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import type { DestroyedKey } from '../core/schemas/types.gen';
import type { KeyShredder } from '../core/sunset/key-shredder';
import { KEY_DELETION_WINDOW_DAYS } from '../core/sunset/report';

/** A KMS key to destroy, with the JOSE kid of its public key. */
export interface KmsKeyRef {
  readonly keyId: string;
  readonly kid: string;
  readonly use: DestroyedKey['use'];
}

let shared: KMSClient | undefined;

/** A shredder of KMS keys (the client defaults to one per process). */
export function kmsShredder(keys: readonly KmsKeyRef[], client?: KMSClient): KeyShredder {
  const kms = () => client ?? (shared ??= new KMSClient({}));
  return {
    plan: async (now) =>
      keys.map((k) => ({
        kid: k.kid,
        use: k.use,
        store: 'kms' as const,
        action: 'scheduled-deletion' as const,
        deletionDate: now + KEY_DELETION_WINDOW_DAYS * 86_400,
      })),
    destroy: async () => {
      for (const k of keys) {
        try {
          await kms().send(new DisableKeyCommand({ KeyId: k.keyId }));
          await kms().send(
            new ScheduleKeyDeletionCommand({ KeyId: k.keyId, PendingWindowInDays: KEY_DELETION_WINDOW_DAYS }),
          );
        } catch (e) {
          // Already pending deletion (a retried sunset): the key is as good as gone.
          if (
            !(e instanceof KMSInvalidStateException) &&
            (e as { name?: string })?.name !== 'KMSInvalidStateException'
          )
            throw e;
        }
      }
    },
  };
}
