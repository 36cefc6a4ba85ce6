/**
 * The signature algorithm registry: the only algorithms hcx accepts, each with its key type, its
 * public-key checks and its verification primitive.
 *
 * Verification code asks the registry by `alg` name and never branches on an algorithm itself, so
 * adding SM2 (GB/T 32918 with SM3) means adding one entry here: its JWK shape, a point check, and a
 * `verify` over Node's `sm2` support or a library. `none`, every HMAC and every other name are simply
 * absent, so they are refused before any key is looked up.
 */
import { decodeB64url } from './b64';
import { KeyRejected } from './errors';
import { checkImports, importPublicJwk, verifySignature, type PublicKeyHandle } from './signature-primitive';

/** A public JWK reduced to the members that define the key. */
export interface KeyMaterial {
  readonly kty: string;
  readonly crv: string;
  readonly x: string;
  readonly y?: string;
}

/** One signature algorithm hcx accepts. */
export interface SignatureAlgorithm {
  /** JOSE `alg` name. */
  readonly name: string;
  readonly kty: string;
  readonly crv: string;
  /** Exact length in bytes of a JWS signature (R‖S for ECDSA). */
  readonly signatureLength: number;
  /** The JWK members that define a public key of this algorithm (RFC 7638 order). */
  readonly requiredMembers: readonly string[];
  /** Reject with {@link KeyRejected} unless `jwk` is a sound public key (on the curve, canonical, not small-order). */
  checkPoint(jwk: KeyMaterial): Promise<void>;
  /** Import a checked public key for {@link SignatureAlgorithm.verify}. */
  importPublicKey(jwk: KeyMaterial): PublicKeyHandle;
  /**
   * Verify a JWS signature over `data` (signature length already checked): a boolean on the server,
   * a promise of one in the checkpoint page (WebCrypto; see signature-primitive.ts).
   */
  verify(key: PublicKeyHandle, data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
  /** Node `crypto.sign` arguments for a local private key. */
  readonly nodeSign: { readonly digest: string | null; readonly dsaEncoding?: 'ieee-p1363' };
}

// P-256 group order n, big-endian, to refuse r or s outside [1, n-1] before OpenSSL sees them.
const P256_N = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
// P-256 field prime p: a coordinate must be a canonical field element (below p).
const P256_P = Buffer.from('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff', 'hex');
const ZERO32 = Buffer.alloc(32);

function scalarInRange(s: Buffer): boolean {
  return s.compare(ZERO32) !== 0 && s.compare(P256_N) < 0;
}

function coordinate(value: string | undefined, name: string): Uint8Array {
  const bytes = value === undefined ? undefined : decodeB64url(value);
  if (!bytes || bytes.length !== 32)
    throw new KeyRejected('BAD_COORDINATE', `${name} is not a 32-byte base64url value`);
  return bytes;
}

const ES256: SignatureAlgorithm = {
  name: 'ES256',
  kty: 'EC',
  crv: 'P-256',
  signatureLength: 64,
  requiredMembers: ['crv', 'kty', 'x', 'y'],
  async checkPoint(jwk) {
    const x = coordinate(jwk.x, 'x');
    const y = coordinate(jwk.y, 'y');
    // OpenSSL may reduce a coordinate modulo p: refuse the aliases x + p, y + p first.
    if (Buffer.from(x).compare(P256_P) >= 0 || Buffer.from(y).compare(P256_P) >= 0) {
      throw new KeyRejected('NOT_ON_CURVE', 'a coordinate is not below the P-256 field prime');
    }
    // OpenSSL refuses a point off the curve (and (0, 0)); P-256 has cofactor 1, so a point on the
    // curve is of prime order: nothing else to check (the Wycheproof invalid-key vectors confirm it).
    try {
      await checkImports({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
    } catch (cause) {
      throw new KeyRejected('NOT_ON_CURVE', 'the point is not on P-256', cause);
    }
  },
  importPublicKey(jwk) {
    return importPublicJwk({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
  },
  verify(key, data, signature) {
    const sig = Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
    if (!scalarInRange(sig.subarray(0, 32)) || !scalarInRange(sig.subarray(32, 64))) return false;
    return verifySignature('sha256', key, data, sig);
  },
  nodeSign: { digest: 'sha256', dsaEncoding: 'ieee-p1363' },
};

const EdDSA: SignatureAlgorithm = {
  name: 'EdDSA',
  kty: 'OKP',
  crv: 'Ed25519',
  signatureLength: 64,
  requiredMembers: ['crv', 'kty', 'x'],
  async checkPoint(jwk) {
    const x = coordinate(jwk.x, 'x');
    // Only Ed25519 keys need curve arithmetic: loaded at the first Ed25519 key, not at cold start.
    const { checkEd25519Point } = await import('./ed25519-point');
    checkEd25519Point(x);
  },
  importPublicKey(jwk) {
    return importPublicJwk({ kty: 'OKP', crv: 'Ed25519', x: jwk.x });
  },
  verify(key, data, signature) {
    return verifySignature(null, key, data, signature);
  },
  nodeSign: { digest: null },
};

const REGISTRY: ReadonlyMap<string, SignatureAlgorithm> = new Map([
  [ES256.name, ES256],
  [EdDSA.name, EdDSA],
]);

/** Names of the algorithms hcx accepts. */
export const ALGORITHM_NAMES: readonly string[] = [...REGISTRY.keys()];

/** The algorithm registered under exactly `name` (case-sensitive), or `undefined`. */
export function algorithmByName(name: unknown): SignatureAlgorithm | undefined {
  return typeof name === 'string' ? REGISTRY.get(name) : undefined;
}

/** The algorithm whose key type and curve `jwk` has, or `undefined`. */
export function algorithmForKey(jwk: { kty?: unknown; crv?: unknown }): SignatureAlgorithm | undefined {
  for (const a of REGISTRY.values()) if (a.kty === jwk.kty && a.crv === jwk.crv) return a;
  return undefined;
}
