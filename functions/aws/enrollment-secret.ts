/**
 * The enrollment key in AWS: a private JWK held in a Secrets Manager secret (`SecretString`), read
 * on first use. Importing this module loads the Secrets Manager SDK, so only the handlers that sign
 * requests to the exchange (province-revoke-code, and province-sync for pending revocations) pass
 * {@link secretSignerFor} to their dependencies.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InternalError } from '../core/errors';
import { parseStrictJson } from '../core/json';
import { LocalKeySigner, type Signer } from '../core/signer';

/**
 * The enrollment signer from the private JWK held in the secret `secretId`. The value is never
 * logged nor quoted in an error: a secret that is not a private JWK (the stack's random placeholder
 * before the operator stores the key) fails with a fixed message.
 */
export async function enrollmentSignerFromSecret(
  client: SecretsManagerClient,
  secretId: string,
): Promise<Signer> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  let jwk: unknown;
  try {
    jwk = parseStrictJson(SecretString ?? '');
  } catch {
    jwk = undefined;
  }
  if (typeof jwk !== 'object' || jwk === null || typeof (jwk as { d?: unknown }).d !== 'string') {
    throw new InternalError(new Error('the enrollment key secret does not hold a private JWK'));
  }
  try {
    return await LocalKeySigner.fromPrivateJwk(jwk as Record<string, unknown>);
  } catch {
    throw new InternalError(new Error('the enrollment key secret does not hold a usable private JWK'));
  }
}

// One Secrets Manager client per process, created on first use.
let sharedClient: SecretsManagerClient | undefined;

/** {@link enrollmentSignerFromSecret} on the process's one Secrets Manager client. */
export function secretSignerFor(secretId: string): Promise<Signer> {
  sharedClient ??= new SecretsManagerClient({});
  return enrollmentSignerFromSecret(sharedClient, secretId);
}

/**
 * The string value of secret `secretId` (the per-caller limit's node secret), on the same client.
 * Never logged; an empty or missing value is refused with a fixed message.
 */
export async function secretStringFor(secretId: string): Promise<string> {
  sharedClient ??= new SecretsManagerClient({});
  const { SecretString } = await sharedClient.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString || SecretString.length < 32) {
    throw new InternalError(new Error('the caller key secret holds no usable value'));
  }
  return SecretString;
}
