/**
 * SM2 digital signatures (GB/T 32918.2-2016 = GM/T 0003.2-2012) with the SM3 hash (GB/T 32905),
 * on the recommended 256-bit curve of GB/T 32918.5-2017 (`sm2p256v1`).
 *
 * Why here and not `node:crypto`: Node 20 knows the SM2 curve and SM3, but `crypto.sign('sm3', …)`
 * with an SM2-curve key computes ECDSA over that curve (no Z value, ECDSA's equations), not SM2, and
 * Node offers no way to select OpenSSL's SM2 signature nor a raw-digest primitive (measured and
 * recorded in docs/contract.md). So the curve arithmetic is `@noble/curves` (audited, already
 * an hcx dependency) with the SM2 parameters, SM3 is OpenSSL's (`createHash('sm3')`), and this
 * module holds only the steps of the standard: Z, e = SM3(Z‖M), and the sign/verify equations.
 * It is cross-checked both ways against `sm-crypto` and `sm-crypto-v2` and against the published
 * example signatures (test/core/sm2.test.ts).
 *
 * Loaded only when an SM2 key is met (algorithms.ts), so no other process pays for the curve code.
 * Signing here (local key files: the embedded runtime, the CLI) runs on JavaScript BigInt, which is
 * not constant-time; deployed SM2 issuer keys sign inside KMS (kms-signer.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { weierstrass, type WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import type { KeyReason } from './error-catalogue';

/** The distinguishing identifier every hcx signer uses: the default of GM/T 0009-2012 §10 (and of AWS KMS). */
export const DEFAULT_ID = '1234567812345678';

/** Curve parameters (GB/T 32918.5 style, big-endian integers). */
export interface Sm2CurveParams {
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly n: bigint;
  readonly Gx: bigint;
  readonly Gy: bigint;
}

/** The recommended curve of GB/T 32918.5-2017 / GM/T 0003.5-2012. */
export const SM2_P256V1: Sm2CurveParams = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

const SIZE = 32;

function toBytes(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(2 * SIZE, '0'), 'hex');
}

function toBigint(bytes: Uint8Array): bigint {
  return BigInt(
    '0x' + (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') || '0'),
  );
}

/** A public key ready for repeated verification: its point and its Z value. */
export interface Sm2PublicKey {
  readonly point: WeierstrassPoint<bigint>;
  readonly z: Buffer;
}

/** Why a public key was refused: `BAD_COORDINATE` (not 32 bytes) or `NOT_ON_CURVE` (a coordinate not below p, off the curve, the identity). */
export class Sm2KeyError extends Error {
  constructor(
    readonly reason: Extract<KeyReason, 'BAD_COORDINATE' | 'NOT_ON_CURVE'>,
    message: string,
  ) {
    super(message);
    this.name = 'Sm2KeyError';
  }
}

/** SM2 over one curve (the recommended one in production; the tests also use the standard's example curve). */
export class Sm2 {
  private readonly Point;
  private readonly n: bigint;
  private readonly zPrefix: Buffer;

  constructor(readonly params: Sm2CurveParams) {
    this.Point = weierstrass({ ...params, h: 1n });
    this.n = params.n;
    this.zPrefix = Buffer.concat([params.a, params.b, params.Gx, params.Gy].map(toBytes));
  }

  /**
   * GB/T 32918.1 §6.2.2 public key validation of the affine point (x, y), 32-byte big-endian
   * coordinates: both below p, on the curve, not the identity (which has no affine form); the
   * cofactor is 1, so [n]P = O holds for every point on the curve.
   */
  publicKey(x: Uint8Array, y: Uint8Array, id = DEFAULT_ID): Sm2PublicKey {
    if (x.length !== SIZE || y.length !== SIZE)
      throw new Sm2KeyError('BAD_COORDINATE', 'a coordinate is not 32 bytes');
    const px = toBigint(x);
    const py = toBigint(y);
    if (px >= this.params.p || py >= this.params.p) {
      throw new Sm2KeyError('NOT_ON_CURVE', 'a coordinate is not below the SM2 field prime');
    }
    let point;
    try {
      point = this.Point.fromAffine({ x: px, y: py });
      point.assertValidity();
    } catch {
      throw new Sm2KeyError('NOT_ON_CURVE', 'the point is not on the SM2 curve');
    }
    return { point, z: this.z(point, id) };
  }

  /** Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) (GB/T 32918.2 §5.5). */
  z(point: WeierstrassPoint<bigint>, id = DEFAULT_ID): Buffer {
    const idBytes = Buffer.from(id, 'utf8');
    const entl = Buffer.alloc(2);
    entl.writeUInt16BE(idBytes.length * 8);
    const { x, y } = point.toAffine();
    return createHash('sm3')
      .update(entl)
      .update(idBytes)
      .update(this.zPrefix)
      .update(toBytes(x))
      .update(toBytes(y))
      .digest();
  }

  /** e = SM3(Z_A ‖ M): the digest that is signed (what KMS's `MessageType: DIGEST` expects). */
  digest(key: Sm2PublicKey, message: Uint8Array): Buffer {
    return createHash('sm3').update(key.z).update(message).digest();
  }

  /**
   * Verify a 64-byte R‖S signature of `message` (GB/T 32918.2 §7.1). r and s outside [1, n-1] are
   * refused (B1, B2), so no second encoding of one signature (s + n, r + n) verifies.
   */
  verify(key: Sm2PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== 2 * SIZE) return false;
    const r = toBigint(signature.subarray(0, SIZE));
    const s = toBigint(signature.subarray(SIZE));
    if (r < 1n || r >= this.n || s < 1n || s >= this.n) return false;
    const e = toBigint(this.digest(key, message));
    const t = (r + s) % this.n;
    if (t === 0n) return false;
    // Public scalars: the variable-time multiplications are fine here.
    const sum = this.Point.BASE.multiplyUnsafe(s).add(key.point.multiplyUnsafe(t));
    if (sum.is0()) return false;
    return (e + sum.toAffine().x) % this.n === r;
  }

  /** A fresh private key d in [1, n-2] (d = n-1 has no (1+d)⁻¹) and its public point. */
  generate(): { d: Buffer; x: Buffer; y: Buffer } {
    for (;;) {
      const d = toBigint(randomBytes(SIZE));
      if (d < 1n || d > this.n - 2n) continue;
      const { x, y } = this.Point.BASE.multiply(d).toAffine();
      return { d: toBytes(d), x: toBytes(x), y: toBytes(y) };
    }
  }

  /** The public point of private key `d` (for checking that a key file's d and x, y belong together). */
  publicPointOf(d: Uint8Array): { x: Buffer; y: Buffer } {
    const scalar = this.privateScalar(d);
    const { x, y } = this.Point.BASE.multiply(scalar).toAffine();
    return { x: toBytes(x), y: toBytes(y) };
  }

  private privateScalar(d: Uint8Array): bigint {
    const scalar = toBigint(d);
    if (d.length !== SIZE || scalar < 1n || scalar > this.n - 2n)
      throw new Error('the SM2 private key is out of range');
    return scalar;
  }

  /**
   * Sign `message` with private key `d` (GB/T 32918.2 §6.1), R‖S with each half 32 bytes. `nonce`
   * replaces the random k only to reproduce the standard's worked examples in tests.
   */
  sign(key: Sm2PublicKey, d: Uint8Array, message: Uint8Array, nonce?: () => bigint): Uint8Array {
    return this.signDigest(this.digest(key, message), d, nonce);
  }

  /** Sign an e = SM3(Z‖M) computed elsewhere (steps A3-A7). */
  signDigest(digest: Uint8Array, d: Uint8Array, nonce?: () => bigint): Uint8Array {
    const dA = this.privateScalar(d);
    const e = toBigint(digest);
    const { Fn } = this.Point;
    const inverse = Fn.inv(1n + dA);
    for (;;) {
      const k = nonce ? nonce() : toBigint(randomBytes(SIZE));
      if (k < 1n || k >= this.n) {
        if (nonce) throw new Error('the nonce is out of range');
        continue;
      }
      const x1 = this.Point.BASE.multiply(k).toAffine().x;
      const r = (e + x1) % this.n;
      const s = Fn.mul(inverse, Fn.sub(k, Fn.mul(r, dA)));
      if (r === 0n || r + k === this.n || s === 0n) {
        if (nonce) throw new Error('the nonce gives a degenerate signature');
        continue;
      }
      return new Uint8Array(Buffer.concat([toBytes(r), toBytes(s)]));
    }
  }
}

/** SM2 on the recommended curve: what the `SM2` algorithm of hcx uses. */
export const sm2 = new Sm2(SM2_P256V1);
