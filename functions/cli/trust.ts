/**
 * Opening a saved or fetched trust list: the federation signature checked with a key the user holds
 * out of band (never one the list brings), then the payload checked against its schema.
 *
 * TODO(lead): functions/core/trustlist/trust-list.ts (`federationKeys`, `openTrustList`) was not
 * there when this was written; once it is, this module should only call it, so that a fix to
 * trust-list checks lands once (and the depth workaround below goes away).
 */
import { decodeB64url } from '../core/b64';
import { JwsRejected } from '../core/errors';
import { parseStrictJson } from '../core/json';
import { acceptPublicKey } from '../core/keys';
import { parseCompactJws } from '../core/jws/compact';
import { TRUST_LIST_PROFILE } from '../core/profiles';
import { isTrustList } from '../core/schemas/validators';
import type { TrustList } from '../core/schemas/types.gen';
import { CliError, EXIT, type ExitCode } from './errors';

/**
 * Parse a trust-list JWS. parseCompactJws caps payload depth at 4, which a trust list exceeds
 * (provinces[].keys[].jwk.x), so its header and signature checks are reused on the token with an
 * empty payload, and the real payload is parsed here with a larger depth cap after the size check.
 */
function parseTrustListJws(token: string): {
  alg: ReturnType<typeof parseCompactJws>['alg'];
  kid: string;
  payload: unknown;
  signingInput: Buffer;
  signature: Buffer;
} {
  const parts = token.split('.');
  if (token.length > TRUST_LIST_PROFILE.maxLength || parts.length !== 3) {
    throw new JwsRejected('MALFORMED', 'not a compact JWS');
  }
  const { alg, kid, signature } = parseCompactJws(`${parts[0]}.e30.${parts[2]}`, TRUST_LIST_PROFILE);
  const bytes = decodeB64url(parts[1]);
  if (!bytes) throw new JwsRejected('MALFORMED', 'payload is not canonical base64url');
  let payload: unknown;
  try {
    payload = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes), { maxDepth: 10 });
  } catch {
    throw new JwsRejected('MALFORMED', 'payload is not strict JSON');
  }
  return { alg, kid, payload, signingInput: Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'), signature };
}

/** Verify the compact JWS `token` as a trust list signed by one of `jwks`; throws {@link CliError}. */
export async function openTrustListWith(
  token: string,
  jwks: { keys: unknown[] },
  what: string,
  exitCode: ExitCode = EXIT.INPUT,
): Promise<TrustList> {
  try {
    const parsed = parseTrustListJws(token.trim());
    let found = false;
    for (const candidate of jwks.keys) {
      let key;
      try {
        key = await acceptPublicKey(candidate);
      } catch {
        continue; // a JWKS may carry keys of other kinds; only exact thumbprint matches count
      }
      if (key.kid !== parsed.kid || key.alg !== parsed.alg.name) continue;
      found = true;
      if (
        !key.algorithm.verify(key.algorithm.importPublicKey(key.jwk), parsed.signingInput, parsed.signature)
      ) {
        throw new JwsRejected('SIGNATURE_INVALID', 'signature');
      }
      break;
    }
    if (!found) throw new JwsRejected('UNKNOWN_KEY', 'unknown key');
    if (!isTrustList(parsed.payload)) throw new JwsRejected('CLAIMS_INVALID', 'payload');
    return parsed.payload;
  } catch (e) {
    if (!(e instanceof JwsRejected)) throw e;
    const why: Record<string, string> = {
      UNKNOWN_KEY: 'it is not signed with a federation key you gave (wrong --federation-jwks?)',
      SIGNATURE_INVALID: 'its federation signature does not verify (the file was altered)',
      CLAIMS_INVALID: 'its content is not a valid trust list',
    };
    throw new CliError(exitCode, `${what} was refused: ${why[e.reason] ?? 'it is not a trust list JWS'}`);
  }
}
