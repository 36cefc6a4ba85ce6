/**
 * `KmsSigner`: a {@link Signer} whose private key never leaves AWS KMS: an asymmetric
 * `SIGN_VERIFY` key, `ECC_NIST_P256` (ES256) or, in the China regions, `SM2` (SM2 with SM3). The
 * public key is fetched once, at creation; every signature is one `Sign` call on a digest computed
 * here (so a message of any size costs the same small request: KMS takes at most 4096 bytes of raw
 * message, a trust list can be larger), and KMS's DER signature is converted to JOSE's R‖S form.
 *
 * SM2: the digest sent is e = SM3(Z_A ‖ M), Z_A computed from the KMS public key with the default
 * signer ID `1234567812345678` (`MessageType: DIGEST`, `SigningAlgorithm: SM2DSA`). That is the
 * value KMS itself hashes when given the raw message (it uses the same default ID), so the
 * signature verifies as an ordinary `SM2` JWS signature (docs/contract.md, "Algorithms").
 */
import { createHash, createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { sm2JwkFromSpki, type KeyMaterial } from '../core/algorithms';
import { derToJose } from '../core/ecdsa-der';
import { InternalError, KeyRejected, toHcxError } from '../core/errors';
import { acceptPublicKey } from '../core/keys';
import type { Signer } from '../core/signer';

/** Options of {@link KmsSigner.create}. */
export interface KmsSignerOptions {
  /** A client created once at module scope. */
  readonly client: KMSClient;
  /** Key id, alias or ARN of an `ECC_NIST_P256` or `SM2` `SIGN_VERIFY` key. */
  readonly keyId: string;
}

/** What one KMS key spec signs as: the JOSE algorithm, KMS's signing algorithm and the digest sent. */
interface KmsScheme {
  readonly alg: string;
  readonly signingAlgorithm: 'ECDSA_SHA_256' | 'SM2DSA';
  /** The JWK of the key's SPKI DER, or `undefined` when it is not of this spec. */
  jwkOf(spki: Uint8Array): Record<string, unknown> | undefined;
  /** The digest KMS signs for `data` (`publicJwk` has passed key intake). */
  digest(publicJwk: KeyMaterial): (data: Uint8Array) => Uint8Array;
}

const SCHEMES: Readonly<Record<string, KmsScheme>> = {
  ECC_NIST_P256: {
    alg: 'ES256',
    signingAlgorithm: 'ECDSA_SHA_256',
    jwkOf(spki) {
      try {
        const jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({
          format: 'jwk',
        });
        return jwk as Record<string, unknown>;
      } catch {
        return undefined;
      }
    },
    digest: () => (data) => createHash('sha256').update(data).digest(),
  },
  SM2: {
    alg: 'SM2',
    signingAlgorithm: 'SM2DSA',
    jwkOf: (spki) => sm2JwkFromSpki(spki) as Record<string, unknown> | undefined,
    digest(publicJwk) {
      // Loaded only by a signer of an SM2 key; the key passed intake, so sm2.ts is loaded already.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- see algorithms.ts
      const { sm2 } = require('../core/sm2') as typeof import('../core/sm2');
      const key = sm2.publicKey(
        Buffer.from(publicJwk.x, 'base64url'),
        Buffer.from(publicJwk.y as string, 'base64url'),
      );
      return (data) => sm2.digest(key, data);
    },
  },
};

/** ES256 or SM2 signatures by an AWS KMS key. */
export class KmsSigner implements Signer {
  private constructor(
    readonly alg: string,
    readonly kid: string,
    readonly publicJwk: KeyMaterial,
    private readonly client: KMSClient,
    private readonly keyId: string,
    private readonly scheme: KmsScheme,
    private readonly digest: (data: Uint8Array) => Uint8Array,
  ) {}

  /** Fetch the public key (once), check it passes key intake, and compute its kid. */
  static async create(options: KmsSignerOptions): Promise<KmsSigner> {
    let answer;
    try {
      answer = await options.client.send(new GetPublicKeyCommand({ KeyId: options.keyId }));
    } catch (e) {
      throw toHcxError(e);
    }
    const scheme = answer.KeySpec === undefined ? undefined : SCHEMES[answer.KeySpec];
    if (!scheme || answer.KeyUsage !== 'SIGN_VERIFY' || !answer.PublicKey) {
      throw new KeyRejected('UNSUPPORTED_KEY_TYPE', 'the KMS key is not an ECC_NIST_P256 or SM2 signing key');
    }
    const jwk = scheme.jwkOf(answer.PublicKey);
    if (!jwk) throw new KeyRejected('NOT_A_JWK', 'the KMS public key is not a valid SPKI structure');
    const accepted = await acceptPublicKey(jwk, scheme.alg);
    // Sign with the key's ARN when KMS gave one, so an alias re-pointed later cannot change the key.
    return new KmsSigner(
      scheme.alg,
      accepted.kid,
      accepted.jwk,
      options.client,
      answer.KeyId ?? options.keyId,
      scheme,
      scheme.digest(accepted.jwk),
    );
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    let answer;
    try {
      answer = await this.client.send(
        new SignCommand({
          KeyId: this.keyId,
          Message: this.digest(data),
          MessageType: 'DIGEST',
          SigningAlgorithm: this.scheme.signingAlgorithm,
        }),
      );
    } catch (e) {
      throw toHcxError(e);
    }
    if (!answer.Signature) throw new InternalError(new Error('KMS returned no signature'));
    return derToJose(answer.Signature, 32);
  }
}

// One KMS client per process, created by the first signer.
let sharedClient: KMSClient | undefined;

/**
 * A signer for the KMS key `keyId` on the process's one KMS client. Importing this module loads the
 * KMS SDK, so only the handlers that sign pass this factory to their dependencies
 * (`provinceDepsFromEnv`, `exchangeDepsFromEnv`): no other function loads it at cold start.
 */
export function kmsSignerFor(keyId: string): Promise<KmsSigner> {
  sharedClient ??= new KMSClient({});
  return KmsSigner.create({ client: sharedClient, keyId });
}
