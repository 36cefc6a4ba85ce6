/** Reading and writing the files the CLI works with, each failure an {@link InputFileError} that says what to do. */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HcxError } from '../core/errors';
import { writeAtomically as writeFileAtomically } from '../core/files';
import { parseStrictJson } from '../core/json';
import { LocalKeySigner } from '../core/signer';
import { InputFileError } from './errors';

/** Largest file the CLI reads (a trust list can reach 4 MiB). */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  return code ?? 'unreadable';
}

/** Read a file as bytes; `what` names it in the error ("the trust list file"). */
export function readBytes(path: string, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputFileError(`cannot read ${what} ${path}: ${reason(e)}`);
  }
  if (bytes.length > MAX_FILE_BYTES) throw new InputFileError(`${what} ${path} is too large`);
  return bytes;
}

/** Read a UTF-8 text file, trimmed. */
export function readText(path: string, what: string): string {
  return readBytes(path, what).toString('utf8').trim();
}

/** Read a strict-JSON file (duplicate keys, `__proto__` refused). */
export function readJson(path: string, what: string): unknown {
  const text = readText(path, what);
  try {
    return parseStrictJson(text);
  } catch {
    throw new InputFileError(`${what} ${path} is not valid JSON`);
  }
}

/**
 * Write `data` to `path` atomically (a temporary file in the same folder, then a rename), so a
 * reader never sees half a file; `mode` applies from creation (0600 for private keys).
 */
export function writeAtomically(path: string, data: string | Uint8Array, mode = 0o644): void {
  try {
    writeFileAtomically(path, data, mode);
  } catch (e) {
    throw new InputFileError(`cannot write ${path}: ${reason(e)}`);
  }
}

/**
 * Check, before any work whose result would be lost, that `path` can be written the way
 * {@link writeAtomically} writes it (a new file in its folder, renamed over it).
 */
export function assertWritable(path: string): void {
  let isFolder = false;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    // does not exist yet: fine
  }
  if (isFolder) throw new InputFileError(`cannot write ${path}: it is a folder`);
  const probe = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(probe, '', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    throw new InputFileError(`cannot write ${path}: ${reason(e)}`);
  }
  rmSync(probe, { force: true });
}

/** A signer over the private JWK in `path` (a key from `hcx keys generate`, or an enrollment key). */
export async function loadSigner(path: string, what: string): Promise<LocalKeySigner> {
  const jwk = readJson(path, what);
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new InputFileError(`${what} ${path} is not a JWK`);
  }
  try {
    return await LocalKeySigner.fromPrivateJwk(jwk as Record<string, unknown>);
  } catch (e) {
    const detail = e instanceof HcxError ? (e.detail ?? e.message) : 'unusable key';
    throw new InputFileError(`${what} ${path} is not a usable private key (${detail})`);
  }
}

/** The federation JWKS: a `{ keys: [...] }` object, or the `GET /v1/federation` answer holding one. */
export function asJwks(value: unknown, where: string): { keys: unknown[] } {
  const v = value as { keys?: unknown } | null;
  if (v && typeof v === 'object' && Array.isArray(v.keys)) return { keys: v.keys };
  const nested = (v?.keys as { keys?: unknown } | undefined)?.keys;
  if (Array.isArray(nested)) return { keys: nested };
  throw new InputFileError(`${where} holds no JWKS (expected {"keys": [...]})`);
}

/** Load the federation JWKS from a file, or take it as given (from the state file). */
export function federationJwks(source: string | object): { keys: unknown[] } {
  if (typeof source === 'string') return asJwks(readJson(source, 'the federation JWKS file'), source);
  return asJwks(source, 'the state file');
}
