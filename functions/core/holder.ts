/**
 * The holder binding: a deliberately slow, salted derivation of the ID document type and number,
 * so that a checkpoint shown the document can confirm it belongs to the code, while someone who
 * photographs the code cannot recover the number.
 *
 * A resident ID number has little entropy (region, birth date, a 3-digit sequence and a check
 * character), so a fast hash could be reversed by enumeration. scrypt with N = 2^15, r = 8, p = 1
 * costs about 32 MiB and 170-220 ms per guess on one core of the development machine (measured by
 * `npm run bench`); an attacker who already knows the holder's region and birth date still needs
 * about 1,000 guesses per code, one who knows only the province about 10^8, and the per-code random
 * salt means no work is shared between codes.
 *
 * Two versions, same cost: `scrypt-v2` (HCX2 codes: 8-byte salt, 16-byte tag, carried as one
 * 32-character base64url string `salt‖tag`) and `scrypt-v1` (HCX1 codes: 16-byte salt, 32-byte tag,
 * as an object). Why the shorter salt and tag lose nothing: docs/code-format.md.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { decodeB64url, encodeB64url } from './b64';

/** The holder-binding algorithm of the current code format (HCX2). */
export const HOLDER_BINDING_ALG = 'scrypt-v2';
/** The holder-binding algorithm of HCX1 codes (still verified until they expire). */
export const LEGACY_HOLDER_BINDING_ALG = 'scrypt-v1';
const PARAMS = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** Sizes and domain label of each binding version. */
const VERSIONS: Readonly<Record<string, { salt: number; tag: number; label: string }>> = {
  [HOLDER_BINDING_ALG]: { salt: 8, tag: 16, label: 'hcx-hb-v2' },
  [LEGACY_HOLDER_BINDING_ALG]: { salt: 16, tag: 32, label: 'hcx-hb-v1' },
};

/** A holder binding: what the province keeps, and (HCX1) the code's `hb` claim. */
export interface HolderBinding {
  readonly alg: string;
  readonly salt: string;
  readonly tag: string;
}

function derive(
  label: string,
  idType: string,
  idNumber: string,
  salt: Buffer,
  length: number,
): Promise<Buffer> {
  // The number is normalised the way people write it: a trailing check character `x` is `X`.
  const input = Buffer.from(`${label}\u0000${idType}\u0000${idNumber.trim().toUpperCase()}`, 'utf8');
  return new Promise((resolve, reject) =>
    scrypt(input, salt, length, PARAMS, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Bind a code to an ID document with a fresh random salt (`scrypt-v2` unless told otherwise). */
export async function bindHolder(
  idType: string,
  idNumber: string,
  alg: string = HOLDER_BINDING_ALG,
): Promise<HolderBinding> {
  const version = VERSIONS[alg];
  if (!version) throw new Error(`unknown holder-binding algorithm ${alg}`);
  const salt = randomBytes(version.salt);
  const tag = await derive(version.label, idType, idNumber, salt, version.tag);
  return { alg, salt: encodeB64url(salt), tag: encodeB64url(tag) };
}

/** The HCX2 `hb` claim of a `scrypt-v2` binding: base64url of salt (8 bytes) ‖ tag (16 bytes). */
export function holderBindingClaim(binding: HolderBinding): string {
  const salt = decodeB64url(binding.salt);
  const tag = decodeB64url(binding.tag);
  const v = VERSIONS[HOLDER_BINDING_ALG];
  if (binding.alg !== HOLDER_BINDING_ALG || salt?.length !== v.salt || tag?.length !== v.tag) {
    throw new Error('only a scrypt-v2 binding has a compact claim form');
  }
  return encodeB64url(Buffer.concat([salt, tag]));
}

/** The binding an HCX2 `hb` claim stands for (`undefined` when it is not 24 canonical bytes). */
export function holderBindingFromClaim(hb: string): HolderBinding | undefined {
  const bytes = decodeB64url(hb);
  const v = VERSIONS[HOLDER_BINDING_ALG];
  if (!bytes || bytes.length !== v.salt + v.tag) return undefined;
  return {
    alg: HOLDER_BINDING_ALG,
    salt: encodeB64url(bytes.subarray(0, v.salt)),
    tag: encodeB64url(bytes.subarray(v.salt)),
  };
}

/** True when the presented document matches `binding` (constant-time comparison). */
export async function holderMatches(
  binding: HolderBinding,
  idType: string,
  idNumber: string,
): Promise<boolean> {
  const version = VERSIONS[binding.alg];
  const salt = decodeB64url(binding.salt);
  const tag = decodeB64url(binding.tag);
  if (!version || !salt || !tag || salt.length !== version.salt || tag.length !== version.tag) return false;
  return timingSafeEqual(await derive(version.label, idType, idNumber, salt, version.tag), tag);
}
