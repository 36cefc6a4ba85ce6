/** Talking to the exchange as a province: its federation id, and signed requests (CONTRACT.md). */
import { randomBytes } from 'node:crypto';
import { signCompactJws } from '../core/jws/sign';
import { REQUEST_PROFILE } from '../core/profiles';
import type { Signer } from '../core/signer';
import { ServiceError } from './errors';
import { call } from './http';

/** The federation id (`aud` of signed requests) and public keys, from `GET /v1/federation`. */
export async function federationInfo(
  exchange: string,
): Promise<{ federation: string; keys: { keys: unknown[] } }> {
  const { json } = await call(exchange, '/v1/federation');
  const info = json as { federation?: unknown; keys?: { keys?: unknown } } | undefined;
  if (typeof info?.federation !== 'string' || !Array.isArray(info.keys?.keys)) {
    throw new ServiceError(`${exchange} does not look like an hcx exchange (GET /v1/federation)`);
  }
  return { federation: info.federation, keys: { keys: info.keys.keys as unknown[] } };
}

/** A one-time nonce for a signed request: 128 random bits, base64url. */
export const nonce = (): string => randomBytes(16).toString('base64url');

/**
 * Sign `payload` (an operation: `op` and its members) as the province's enrollment key and POST it
 * to `path`; `aud`, `iat`, `jti` and `region` are added here.
 */
export async function sendSignedRequest(
  exchange: string,
  path: string,
  enrollment: Signer,
  region: string,
  operation: Record<string, unknown>,
  now: number,
): Promise<unknown> {
  const { federation } = await federationInfo(exchange);
  const payload = { aud: federation, iat: now, jti: nonce(), region, ...operation };
  const body = await signCompactJws(enrollment, REQUEST_PROFILE.typ, payload);
  const { json } = await call(exchange, path, { method: 'POST', body, contentType: 'application/jose' });
  return json;
}
