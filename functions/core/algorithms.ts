/**
 * The signature algorithm registry: the only algorithms hcx accepts, each with its key type, its
 * public-key checks and its verification primitive.
 *
 * Verification code asks the registry by `alg` name and never branches on an algorithm itself: SM2
 * (GB/T 32918 with SM3) is one more entry, with its arithmetic in sm2.ts. `none`, every HMAC and
 * every other name are simply absent, so they are refused before any key is looked up.
 */
import { decodeB64url } from './b64';
import { KeyRejected } from './errors';
import {
  checkImports,
  importPublicJwk,
  keyHandle,
  verifySignature,
  type PublicKeyHandle,
} from './signature-primitive';

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
  /** Node `crypto.sign` arguments for a local private key (absent: {@link SignatureAlgorithm.localSigner}). */
  readonly nodeSign?: { readonly digest: string | null; readonly dsaEncoding?: 'ieee-p1363' };
  /** For an algorithm Node cannot sign with (SM2): a signing function over a checked key and its `d`. */
  localSigner?(jwk: KeyMaterial, d: string): (data: Uint8Array) => Uint8Array;
  /** For an algorithm whose keys Node cannot export as a JWK (SM2): a fresh key pair as JWK members. */
  generate?(): { readonly jwk: KeyMaterial; readonly d: string };
}

// P-256 group order n, big-endian, to refuse r or s outside [1, n-1] before OpenSSL sees them.
const P256_N = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
// P-256 field prime p: a coordinate must be a canonical field element (below p).
const P256_P = Buffer.from('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff', 'hex');

/**
 * True when the 32 big-endian bytes of `sig` from `at` are a scalar in [1, n-1]. Read in place (no
 * view, no native call: this runs on every verification); almost always decided by the first byte.
 */
function scalarInRange(sig: Uint8Array, at: number): boolean {
  let nonZero = 0;
  for (let i = 0; i < 32; i++) nonZero |= sig[at + i];
  if (nonZero === 0) return false;
  for (let i = 0; i < 32; i++) {
    const b = sig[at + i];
    if (b !== P256_N[i]) return b < P256_N[i];
  }
  return false; // equal to n
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
    if (!scalarInRange(signature, 0) || !scalarInRange(signature, 32)) return false;
    return verifySignature('sha256', key, data, signature);
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

// SM2's curve code is loaded at the first SM2 key (synchronously: `verify` is synchronous and may
// meet a key that was accepted by another process), so no other process pays for it at cold start.
let sm2Module: typeof import('./sm2') | undefined;
function sm2Lib(): typeof import('./sm2') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, synchronous load (see above)
  sm2Module ??= require('./sm2') as typeof import('./sm2');
  return sm2Module;
}

// DER SubjectPublicKeyInfo of an SM2 key up to the point: id-ecPublicKey with the named curve
// sm2p256v1 (1.2.156.10197.1.301), as AWS KMS and OpenSSL write it; 04 ‖ x ‖ y follows.
const SM2_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d03420004', 'hex');

/** The JWK members of an SM2 SubjectPublicKeyInfo (what KMS `GetPublicKey` returns), or `undefined` if it is not one. */
export function sm2JwkFromSpki(der: Uint8Array): KeyMaterial | undefined {
  const bytes = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  if (
    bytes.length !== SM2_SPKI_PREFIX.length + 64 ||
    !bytes.subarray(0, SM2_SPKI_PREFIX.length).equals(SM2_SPKI_PREFIX)
  ) {
    return undefined;
  }
  const point = bytes.subarray(SM2_SPKI_PREFIX.length);
  return {
    kty: 'EC',
    crv: 'SM2',
    x: point.subarray(0, 32).toString('base64url'),
    y: point.subarray(32).toString('base64url'),
  };
}

/** A checked SM2 key, ready to verify: its point and Z value; uses count how often it served. */
interface PreparedSm2 {
  readonly key: import('./sm2').Sm2PublicKey;
  uses: number;
}
// The handle SM2.importPublicKey made → its prepared key (the handle itself only names the key, so
// the same code runs in Node and in the checkpoint page: see signature-primitive.ts `keyHandle`).
const preparedSm2 = new WeakMap<object, PreparedSm2>();

function sm2PublicKey(jwk: KeyMaterial): import('./sm2').Sm2PublicKey {
  const x = coordinate(jwk.x, 'x');
  const y = coordinate(jwk.y, 'y');
  try {
    return sm2Lib().sm2.publicKey(x, y);
  } catch (cause) {
    const reason = cause instanceof sm2Lib().Sm2KeyError ? cause.reason : 'NOT_ON_CURVE';
    throw new KeyRejected(reason, (cause as Error).message, cause);
  }
}

function preparedFor(key: PublicKeyHandle): PreparedSm2 {
  const prepared = preparedSm2.get(key);
  if (!prepared) throw new KeyRejected('UNSUPPORTED_KEY_TYPE', 'the key was not imported as an SM2 key');
  return prepared;
}

/**
 * `SM2`: SM2 signatures with SM3 (GB/T 32918.2, GM/T 0003.2), the default signer ID
 * `1234567812345678` in Z, on the recommended curve (GB/T 32918.5); JWK `kty: "EC"`, `crv: "SM2"`;
 * JWS signature R‖S, 64 bytes, r and s in [1, n-1] (docs/contract.md, "Algorithms").
 */
const SM2: SignatureAlgorithm = {
  name: 'SM2',
  kty: 'EC',
  crv: 'SM2',
  signatureLength: 64,
  requiredMembers: ['crv', 'kty', 'x', 'y'],
  async checkPoint(jwk) {
    sm2PublicKey(jwk);
  },
  importPublicKey(jwk) {
    const prepared: PreparedSm2 = { key: sm2PublicKey(jwk), uses: 0 };
    const key = keyHandle(
      jwk,
      Buffer.concat([SM2_SPKI_PREFIX, coordinate(jwk.x, 'x'), coordinate(jwk.y, 'y')]),
    );
    preparedSm2.set(key, prepared);
    return key;
  },
  verify(key, data, signature) {
    const prepared = preparedFor(key);
    // A key that verifies more than once (a trust-list key) gets a precomputed table: window 4,
    // about 120 KiB and a one-off 20-45 ms for ~3x the verifications per second (58/s -> 165/s on
    // the shared 2-core machine; windows 6 and 8 were no faster). A key imported for one signed
    // request does not pay for it.
    if (++prepared.uses === 2) prepared.key.point.precompute(4, false);
    return sm2Lib().sm2.verify(prepared.key, data, signature);
  },
  localSigner(jwk, d) {
    const { sm2 } = sm2Lib();
    const key = sm2PublicKey(jwk);
    const secret = decodeB64url(d);
    let own;
    try {
      own = secret && sm2.publicPointOf(secret);
    } catch {
      own = undefined;
    }
    if (!secret || !own || own.x.toString('base64url') !== jwk.x || own.y.toString('base64url') !== jwk.y) {
      throw new KeyRejected('KEY_MISMATCH', 'the SM2 private key does not belong to the public key');
    }
    return (data) => sm2.sign(key, secret, data);
  },
  generate() {
    const { d, x, y } = sm2Lib().sm2.generate();
    return {
      jwk: { kty: 'EC', crv: 'SM2', x: x.toString('base64url'), y: y.toString('base64url') },
      d: d.toString('base64url'),
    };
  },
};

const REGISTRY: ReadonlyMap<string, SignatureAlgorithm> = new Map([
  [ES256.name, ES256],
  [EdDSA.name, EdDSA],
  [SM2.name, SM2],
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
