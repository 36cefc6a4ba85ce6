/**
 * Key intake: the one gate every public key passes before hcx trusts it, at publication to the
 * exchange and again when a trust list is loaded. Also RFC 7638 thumbprints (the `kid`) and local
 * key generation, both on `node:crypto`: a handler that only checks keys does not load `jose` (the
 * tests compare these thumbprints with jose's, an independent implementation).
 */
import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { algorithmByName, algorithmForKey, type KeyMaterial, type SignatureAlgorithm } from './algorithms';
import { KeyRejected } from './errors';
import { SHORT_KID_LENGTH } from './profiles';

/** Members that only a private (or symmetric) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** Members a public signing JWK may carry besides its key material. */
const OPTIONAL_MEMBERS = new Set(['kid', 'alg', 'use', 'key_ops']);

/** A public key that passed intake, reduced to its defining members. */
export interface AcceptedKey {
  readonly alg: string;
  readonly kid: string;
  /** The public JWK with only its defining members (`kty`, `crv`, `x`, `y`). */
  readonly jwk: KeyMaterial;
  readonly algorithm: SignatureAlgorithm;
}

/** The RFC 7638 required members of each key type hcx accepts, in lexicographic order. */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * RFC 7638 thumbprint (SHA-256, base64url) of a public key: the hash of the JSON object of its
 * required members in lexicographic order, without whitespace (their values are base64url or
 * names, so `JSON.stringify` is the exact serialisation the RFC asks for).
 */
export async function thumbprint(jwk: KeyMaterial): Promise<string> {
  return thumbprintOf(jwk);
}

/** {@link thumbprint}, synchronously (for pure folds that check a key against its kid). */
export function thumbprintOf(jwk: KeyMaterial): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty];
  if (!members) throw new KeyRejected('UNSUPPORTED_KEY_TYPE', 'only EC and OKP keys have a thumbprint here');
  const required: Record<string, string> = {};
  for (const m of members) {
    const value = (jwk as unknown as Record<string, unknown>)[m];
    if (typeof value !== 'string') throw new KeyRejected('MISSING_MEMBER', `the key lacks ${m}`);
    required[m] = value;
  }
  return createHash('sha256').update(JSON.stringify(required)).digest('base64url');
}

/**
 * The short form of a kid that an HCX2 code carries: the first {@link SHORT_KID_LENGTH} characters
 * of the thumbprint (66 bits). Short enough for a small QR symbol, and not relied on for security:
 * the exchange refuses a key whose short kid another key already has (`SHORT_KID_TAKEN`), so in a
 * trust list it names exactly one key and one province, and the signature is still verified with
 * that key.
 */
export function shortKid(kid: string): string {
  return kid.slice(0, SHORT_KID_LENGTH);
}

/**
 * Accept `input` as a public signing key for `alg` (when given), or throw {@link KeyRejected} with
 * a precise reason: only EC/P-256, EC/SM2 and OKP/Ed25519, no private member, the point on the curve and
 * (Ed25519) canonical and of prime order, `use`/`key_ops`/`alg` consistent with signature
 * verification, and a `kid`, when present, equal to the thumbprint.
 */
export async function acceptPublicKey(input: unknown, alg?: string): Promise<AcceptedKey> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new KeyRejected('NOT_A_JWK', 'the key is not a JWK object');
  }
  const jwk = input as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) {
    throw new KeyRejected('PRIVATE_MEMBER', 'the key carries private key material');
  }
  const algorithm = algorithmForKey(jwk);
  if (!algorithm)
    throw new KeyRejected('UNSUPPORTED_KEY_TYPE', 'only EC P-256, EC SM2 and OKP Ed25519 keys are accepted');
  if (alg !== undefined && alg !== algorithm.name) {
    throw new KeyRejected('ALG_MISMATCH', 'the key does not belong to the stated algorithm');
  }
  for (const member of Object.keys(jwk)) {
    if (!algorithm.requiredMembers.includes(member) && !OPTIONAL_MEMBERS.has(member)) {
      throw new KeyRejected(
        'UNEXPECTED_MEMBER',
        `the key has an unexpected member ${JSON.stringify(member).slice(0, 40)}`,
      );
    }
  }
  for (const member of algorithm.requiredMembers) {
    if (typeof jwk[member] !== 'string') throw new KeyRejected('MISSING_MEMBER', `the key lacks ${member}`);
  }
  if (jwk.alg !== undefined && jwk.alg !== algorithm.name) {
    throw new KeyRejected('ALG_MISMATCH', 'the key names another algorithm');
  }
  if (jwk.use !== undefined && jwk.use !== 'sig')
    throw new KeyRejected('WRONG_USE', 'the key is not for signatures');
  if (
    jwk.key_ops !== undefined &&
    (!Array.isArray(jwk.key_ops) || jwk.key_ops.length !== 1 || jwk.key_ops[0] !== 'verify')
  ) {
    throw new KeyRejected('WRONG_USE', 'a public signing key may only have key_ops ["verify"]');
  }
  const material: KeyMaterial =
    algorithm.kty === 'EC'
      ? { kty: algorithm.kty, crv: algorithm.crv, x: jwk.x as string, y: jwk.y as string }
      : { kty: algorithm.kty, crv: algorithm.crv, x: jwk.x as string };
  await algorithm.checkPoint(material);
  const kid = await thumbprint(material);
  if (jwk.kid !== undefined && jwk.kid !== kid) {
    throw new KeyRejected('KID_MISMATCH', 'the kid is not the key thumbprint');
  }
  return { alg: algorithm.name, kid, jwk: material, algorithm };
}

/** A freshly generated local key pair, as JWKs. */
export interface GeneratedKey {
  readonly alg: string;
  readonly kid: string;
  /** Private JWK including `kid` and `alg` (keep it secret; the embedded runtime stores it in a 0600 file). */
  readonly privateJwk: Record<string, string>;
  readonly publicJwk: KeyMaterial;
}

const generateKeyPairAsync = promisify(generateKeyPair) as (
  type: 'ec' | 'ed25519',
  options?: { namedCurve: string },
) => Promise<{ publicKey: KeyObject; privateKey: KeyObject }>;

/** Generate a local signing key for `alg` (ES256 by default). */
export async function generateSigningKey(alg: string = 'ES256'): Promise<GeneratedKey> {
  const algorithm = algorithmByName(alg);
  if (!algorithm) throw new KeyRejected('UNSUPPORTED_ALG', 'unsupported algorithm');
  if (algorithm.generate) {
    // Node makes SM2-curve keys but cannot export them as JWK: the algorithm generates its own.
    const { jwk, d } = algorithm.generate();
    const kid = await thumbprint(jwk);
    return {
      alg: algorithm.name,
      kid,
      privateJwk: { ...jwk, d, kid, alg: algorithm.name } as Record<string, string>,
      publicJwk: jwk,
    };
  }
  const { privateKey } =
    algorithm.kty === 'EC'
      ? await generateKeyPairAsync('ec', { namedCurve: algorithm.crv })
      : await generateKeyPairAsync('ed25519');
  const exported = privateKey.export({ format: 'jwk' }) as Record<string, string>;
  const publicJwk: KeyMaterial =
    algorithm.kty === 'EC'
      ? { kty: exported.kty, crv: exported.crv, x: exported.x, y: exported.y }
      : { kty: exported.kty, crv: exported.crv, x: exported.x };
  const kid = await thumbprint(publicJwk);
  return { alg: algorithm.name, kid, privateJwk: { ...exported, kid, alg: algorithm.name }, publicJwk };
}
