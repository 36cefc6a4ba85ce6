/**
 * Local files, read and written one way everywhere: private JWK files (the embedded runtime's
 * keys, `FEDERATION_KEY_FILE`, `ENROLLMENT_KEY_FILE` and `ISSUER_KEY_FILES` in the Lambda
 * environment, the soak script; the CLI reads them through its own messages, cli/files.ts) and
 * atomic writes (the CLI's outputs, the embedded runtime's state and token files).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseStrictJson } from './json';
import { LocalKeySigner } from './signer';

/** Private JWKs in a key file: one JWK, or `{ "keys": [ ... ] }` (strict JSON; throws when unreadable). */
export function readPrivateJwks(path: string): Record<string, unknown>[] {
  return privateJwksOf(parseStrictJson(readFileSync(path, 'utf8')));
}

/** The private JWKs in a parsed key file: one JWK, or `{ "keys": [ ... ] }`. */
export function privateJwksOf(value: unknown): Record<string, unknown>[] {
  if (typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys)) {
    return (value as { keys: Record<string, unknown>[] }).keys;
  }
  return [value as Record<string, unknown>];
}

/** A signer over the (first) private JWK in `path`. */
export function signerFromKeyFile(path: string): Promise<LocalKeySigner> {
  return LocalKeySigner.fromPrivateJwk(readPrivateJwks(path)[0]);
}

/**
 * Write `data` to `path` atomically: a new temporary file in the same folder (created with `mode`,
 * so a private key is never readable by others, not even for a moment), then a rename, so a reader
 * never sees half a file. The temporary file is removed when anything fails; the error is rethrown.
 */
export function writeAtomically(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
