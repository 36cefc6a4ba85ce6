/**
 * The local stand-in for IAM credentials: bearer tokens for the operator and for each province's
 * internal routes, kept in `<data>/local-tokens.json` (0600) so they survive a restart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeAtomically } from '../core/files';
import { FederationConfigInvalid } from './local-files';

export interface Tokens {
  operatorToken: string;
  internalTokens: Record<string, string>;
}

/** Tokens from `<data>/local-tokens.json` (0600), adding any that are missing; fresh ones with `memory`. */
export function loadTokens(dataDir: string | undefined, regions: readonly string[]): Tokens {
  const file = dataDir && join(dataDir, 'local-tokens.json');
  let tokens: Tokens = { operatorToken: newToken(), internalTokens: {} };
  if (file && existsSync(file)) {
    try {
      const read = JSON.parse(readFileSync(file, 'utf8')) as Partial<Tokens>;
      if (
        typeof read.operatorToken !== 'string' ||
        typeof read.internalTokens !== 'object' ||
        !read.internalTokens
      ) {
        throw new Error('unexpected shape');
      }
      tokens = { operatorToken: read.operatorToken, internalTokens: { ...read.internalTokens } };
    } catch {
      throw new FederationConfigInvalid(`${file} is damaged; delete it and start again to make new tokens`);
    }
  }
  let changed = !file || !existsSync(file);
  for (const r of regions) {
    if (!tokens.internalTokens[r]) {
      tokens.internalTokens[r] = newToken();
      changed = true;
    }
  }
  if (file && changed) writeAtomically(file, JSON.stringify(tokens, null, 2) + '\n');
  return tokens;
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}
