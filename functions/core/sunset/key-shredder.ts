/**
 * Crypto-erasure at sunset: destroying the private keys so that nothing can ever be signed with them
 * again. Each shredder first says what it will do ({@link KeyShredder.plan}, which goes into the
 * signed deletion report, signed with a key the shredder is about to destroy), then does it.
 *
 * - In the embedded runtime the keys are local private JWK files: each is overwritten with random
 *   bytes, flushed and unlinked (`destroyed`). A copy made by a backup or a snapshot of the disk is
 *   outside hcx's reach: the documentation says so.
 * - In AWS the keys are KMS keys: DisableKey (nothing can sign from that moment) and then
 *   ScheduleKeyDeletion with the shortest window KMS allows (`scheduled-deletion`, with the date),
 *   see ./kms-shredder.ts.
 */
import { closeSync, existsSync, fsyncSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { DestroyedKey } from '../schemas/types.gen';

/** Destroys a set of private keys. */
export interface KeyShredder {
  /** What {@link destroy} will do, as the deletion report states it (`now`: NumericDate seconds). */
  plan(now: number): Promise<DestroyedKey[]>;
  /** Destroy the keys (safe to run again: a key already gone is not an error). */
  destroy(): Promise<void>;
}

/** A private key held in a local file. */
export interface LocalKeyFile {
  readonly file: string;
  readonly kid: string;
  readonly use: DestroyedKey['use'];
}

/** Overwrite `file` with random bytes, flush it and remove it (nothing when it is gone already). */
export function shredFile(file: string): void {
  if (!existsSync(file)) return;
  const size = Math.max(statSync(file).size, 1);
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, randomBytes(size), 0, size, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  rmSync(file, { force: true });
}

/** A shredder of local key files (the embedded runtime). */
export function localFileShredder(files: readonly LocalKeyFile[]): KeyShredder {
  return {
    plan: async () =>
      files.map((f) => ({
        kid: f.kid,
        use: f.use,
        store: 'local-file' as const,
        action: 'destroyed' as const,
      })),
    destroy: async () => {
      for (const f of files) shredFile(f.file);
    },
  };
}

/** Several shredders as one (their plans concatenated, destroyed in order). */
export function combinedShredder(shredders: readonly KeyShredder[]): KeyShredder {
  return {
    plan: async (now) => (await Promise.all(shredders.map((s) => s.plan(now)))).flat(),
    destroy: async () => {
      for (const s of shredders) await s.destroy();
    },
  };
}
