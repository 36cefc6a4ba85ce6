/**
 * `KmsSigner`: a {@link Signer} whose private key never leaves AWS KMS (an asymmetric
 * `ECC_NIST_P256` / `SIGN_VERIFY` key). The public key is fetched once, at creation; every
 * signature is one `Sign` call on the SHA-256 digest computed here (so a message of any size costs
 * the same small request), and KMS's DER signature is converted to JOSE's R‖S form.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { KeyMaterial } from './algorithms';
import { derToJose } from './ecdsa-der';
import {
  HcxError,
  InternalError,
  isRetryableDependencyError,
  KeyRejected,
  ServiceUnavailable,
} from './errors';
import { acceptPublicKey } from './keys';
import type { Signer } from './signer';

/** A KMS failure as an hcx error: throttling and outages become the retryable 503, the rest a 500. */
export function kmsError(e: unknown): HcxError {
  if (e instanceof HcxError) return e;
  return isRetryableDependencyError(e) ? new ServiceUnavailable(e) : new InternalError(e);
}

/** Options of {@link KmsSigner.create}. */
export interface KmsSignerOptions {
  /** A client created once at module scope. */
  readonly client: KMSClient;
  /** Key id, alias or ARN of an `ECC_NIST_P256` `SIGN_VERIFY` key. */
  readonly keyId: string;
}

/** ES256 signatures by an AWS KMS key. */
export class KmsSigner implements Signer {
  readonly alg = 'ES256';

  private constructor(
    readonly kid: string,
    readonly publicJwk: KeyMaterial,
    private readonly client: KMSClient,
    private readonly keyId: string,
  ) {}

  /** Fetch the public key (once), check it passes key intake, and compute its kid. */
  static async create(options: KmsSignerOptions): Promise<KmsSigner> {
    let answer;
    try {
      answer = await options.client.send(new GetPublicKeyCommand({ KeyId: options.keyId }));
    } catch (e) {
      throw kmsError(e);
    }
    if (answer.KeySpec !== 'ECC_NIST_P256' || answer.KeyUsage !== 'SIGN_VERIFY' || !answer.PublicKey) {
      throw new KeyRejected('UNSUPPORTED_KEY_TYPE', 'the KMS key is not an ECC_NIST_P256 signing key');
    }
    let jwk: Record<string, unknown>;
    try {
      jwk = createPublicKey({ key: Buffer.from(answer.PublicKey), format: 'der', type: 'spki' }).export({
        format: 'jwk',
      }) as Record<string, unknown>;
    } catch (cause) {
      throw new KeyRejected('NOT_A_JWK', 'the KMS public key is not a valid SPKI structure', cause);
    }
    const accepted = await acceptPublicKey(jwk, 'ES256');
    // Sign with the key's ARN when KMS gave one, so an alias re-pointed later cannot change the key.
    return new KmsSigner(accepted.kid, accepted.jwk, options.client, answer.KeyId ?? options.keyId);
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    const digest = createHash('sha256').update(data).digest();
    let answer;
    try {
      answer = await this.client.send(
        new SignCommand({
          KeyId: this.keyId,
          Message: digest,
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
    } catch (e) {
      throw kmsError(e);
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
