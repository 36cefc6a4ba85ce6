/**
 * Opening a saved or fetched trust list for the CLI: the one check the nodes run
 * (functions/core/trustlist/trust-list.ts: federation key held out of band, profile, signature,
 * schema, freshness, caps, consistency), with each refusal turned into a {@link CliError} that says
 * what was wrong and what to do.
 */
import { TrustListRejected } from '../core/errors';
import { parseCompactJws } from '../core/jws/compact';
import { TRUST_LIST_PROFILE } from '../core/profiles';
import type { TrustList } from '../core/schemas/types.gen';
import { federationKeys, openTrustList, type FederationKeys } from '../core/trustlist/trust-list';
import { CliError, EXIT, InputFileError, type ExitCode } from './errors';

/** Options of {@link openTrustListWith}. */
export interface OpenWithOptions {
  /** NumericDate seconds. */
  readonly now: number;
  /** Exit code of a refusal: 4 for a file the user gave, 3 for a list the exchange served. */
  readonly exitCode?: ExitCode;
  /**
   * Accept a list past its expiry (every other check still applies). For `verify --offline` and
   * `show`: an old list must still give an answer (`indeterminate`, TRUST_LIST_STALE), not a refusal.
   */
  readonly allowExpired?: boolean;
}

const WHY: Record<string, string> = {
  UNKNOWN_KEY: 'it is not signed with a federation key you gave (wrong --federation-jwks?)',
  SIGNATURE_INVALID: 'its federation signature does not verify (the file was altered)',
  MALFORMED: 'it is not a trust list JWS',
  SCHEMA_INVALID: 'its content is not a valid trust list',
  INCONSISTENT: 'it names a province or a key twice',
  PROVINCE_SIGNATURE_INVALID:
    'it carries a key or a code revocation its province did not sign for with its enrollment key (a forged or altered entry)',
  INVALID_ENTRY: 'its log entries make no sense together (the log was altered)',
  TOO_LARGE: 'it is larger than a trust list may be',
  NOT_YET_VALID: 'it is issued in the future (check this machine’s clock)',
  FEDERATION_MISMATCH: 'it belongs to another federation',
  EXPIRED: 'it has expired: fetch a new one (`hcx trust-list fetch`)',
};

/** The federation keys of a JWKS (checked when first used), or an input error. */
export function keysOf(jwks: { keys: unknown[] }): FederationKeys {
  try {
    return federationKeys(jwks);
  } catch (e) {
    if (e instanceof TrustListRejected) {
      throw new InputFileError('the federation JWKS is not usable (expected 1 to 8 keys)');
    }
    throw e;
  }
}

/**
 * The `federation` a trust list JWS claims, unverified (undefined when it is not a trust list JWS):
 * only to say whose list a file holds that the federation key given does not open.
 */
export function claimedFederation(token: string): string | undefined {
  try {
    const federation = parseCompactJws(token.trim(), TRUST_LIST_PROFILE).payload.federation;
    return typeof federation === 'string' ? federation : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verify the compact JWS `token` as a trust list signed by one of `jwks`. `what` names it in the
 * error ("the trust list trust-list.jws"); throws {@link CliError} (exit 4 by default).
 */
export async function openTrustListWith(
  token: string,
  jwks: { keys: unknown[] },
  what: string,
  options: OpenWithOptions,
): Promise<TrustList> {
  const keys = keysOf(jwks);
  const jws = token.trim();
  try {
    // openTrustList refuses a stale list outright, which is right for a node's replica. An offline
    // verifier must still answer (verifyCode, given the real clock, then says `indeterminate` with
    // TRUST_LIST_STALE): with allowExpired every other check still runs on the verified payload.
    return await openTrustList(jws, keys, { now: options.now, allowExpired: options.allowExpired });
  } catch (e) {
    if (!(e instanceof TrustListRejected)) throw e;
    if (e.reason === 'FEDERATION_KEYS_INVALID') {
      throw new InputFileError('the federation JWKS holds a key that is not acceptable');
    }
    throw new CliError(
      options.exitCode ?? EXIT.INPUT,
      `${what} was refused: ${WHY[e.reason] ?? 'it is not a valid trust list'}`,
    );
  }
}
