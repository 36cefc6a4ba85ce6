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
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { decodeB64url, encodeB64url } from './b64';

/** The only holder-binding algorithm so far (stated in every code as `hb.alg`). */
export const HOLDER_BINDING_ALG = 'scrypt-v1';
const PARAMS = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const TAG_BYTES = 32;

/** A holder binding as carried in a code's `hb` claim. */
export interface HolderBinding {
  readonly alg: string;
  readonly salt: string;
  readonly tag: string;
}

function derive(idType: string, idNumber: string, salt: Buffer): Promise<Buffer> {
  // The number is normalised the way people write it: a trailing check character `x` is `X`.
  const input = Buffer.from(`hcx-hb-v1\u0000${idType}\u0000${idNumber.trim().toUpperCase()}`, 'utf8');
  return new Promise((resolve, reject) =>
    scrypt(input, salt, TAG_BYTES, PARAMS, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Bind a code to an ID document with a fresh random salt. */
export async function bindHolder(idType: string, idNumber: string): Promise<HolderBinding> {
  const salt = randomBytes(16);
  const tag = await derive(idType, idNumber, salt);
  return { alg: HOLDER_BINDING_ALG, salt: encodeB64url(salt), tag: encodeB64url(tag) };
}

/** True when the presented document matches `binding` (constant-time comparison). */
export async function holderMatches(
  binding: HolderBinding,
  idType: string,
  idNumber: string,
): Promise<boolean> {
  const salt = decodeB64url(binding.salt);
  const tag = decodeB64url(binding.tag);
  if (binding.alg !== HOLDER_BINDING_ALG || !salt || !tag || tag.length !== TAG_BYTES) return false;
  return timingSafeEqual(await derive(idType, idNumber, salt), tag);
}
