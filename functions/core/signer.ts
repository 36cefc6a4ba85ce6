/**
 * Signers: the one interface through which hcx signs anything (codes, trust lists, signed
 * requests). The local-key signer serves the embedded runtime and tests; the KMS signer of the
 * province node and the exchange implements the same interface, so signing code never knows where
 * the private key lives.
 */
import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { algorithmByName, type KeyMaterial, type SignatureAlgorithm } from './algorithms';
import { KeyRejected } from './errors';
import { acceptPublicKey } from './keys';

/** Something that can produce JWS signatures with one key. */
export interface Signer {
  /** JOSE algorithm name. */
  readonly alg: string;
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  /** The public key, as published to the exchange. */
  readonly publicJwk: KeyMaterial;
  /** Sign `data`, returning the JWS signature bytes (R‖S for ES256 and SM2). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** A signer over a private key held in memory (a local key file). */
export class LocalKeySigner implements Signer {
  private constructor(
    readonly alg: string,
    readonly kid: string,
    readonly publicJwk: KeyMaterial,
    private readonly signWith: (data: Uint8Array) => Uint8Array,
  ) {}

  /** Build a signer from a private JWK (its public part passes key intake first). */
  static async fromPrivateJwk(jwk: Record<string, unknown>): Promise<LocalKeySigner> {
    const { d, kid: _kid, alg, ...publicPart } = jwk;
    if (typeof d !== 'string') throw new KeyRejected('NOT_PRIVATE', 'the key file holds no private key');
    const accepted = await acceptPublicKey(publicPart, typeof alg === 'string' ? alg : undefined);
    const algorithm = algorithmByName(accepted.alg) as SignatureAlgorithm;
    return new LocalKeySigner(
      accepted.alg,
      accepted.kid,
      accepted.jwk,
      nodeSignerOf(algorithm, accepted.jwk, d),
    );
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return this.signWith(data);
  }
}

/** Signing over Node's `crypto.sign`, or the algorithm's own local signer where Node has none (SM2). */
function nodeSignerOf(
  algorithm: SignatureAlgorithm,
  jwk: KeyMaterial,
  d: string,
): (data: Uint8Array) => Uint8Array {
  if (!algorithm.nodeSign)
    return (algorithm.localSigner as NonNullable<SignatureAlgorithm['localSigner']>)(jwk, d);
  const { digest, dsaEncoding } = algorithm.nodeSign;
  const key: KeyObject = createPrivateKey({ key: { ...jwk, d }, format: 'jwk' });
  return (data) => cryptoSign(digest, data, dsaEncoding ? { key, dsaEncoding } : key);
}
