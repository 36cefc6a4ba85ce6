/**
 * `hcx keys generate|publish|revoke|rotate`: a province's signing keys, published to and revoked at
 * the exchange with requests signed by its enrollment key.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { acceptPublicKey, generateSigningKey } from '../../core/keys';
import type { KeyMaterial } from '../../core/algorithms';
import { LIMITS } from '../../core/profiles';
import { call } from '../http';
import { EXIT, InputFileError, ServiceError, UsageError } from '../errors';
import { sendSignedRequest } from '../exchange';
import { federationJwks, loadSigner, readJson, writeAtomically } from '../files';
import { isoTime, nowSeconds, type CommandResult } from '../result';
import { openTrustListWith } from '../trust';

const KID = /^[A-Za-z0-9_-]{43}$/;
const REGION = /^\d{2}0000$/;
export const KEY_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export const REVOCATION_REASONS = ['compromised', 'superseded', 'retired'] as const;
const MAX_DAYS = LIMITS.maxKeyLifetime / 86_400;

function checkRegion(region: string): void {
  if (!REGION.test(region))
    throw new UsageError(`--region must be a province code such as 330000, not ${JSON.stringify(region)}`);
}

function checkDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new UsageError(`--not-after must be a whole number of days from 1 to ${MAX_DAYS}`);
  }
}

/** Options of {@link keysGenerate}. */
export interface KeysGenerateOptions {
  readonly alg?: string;
  /** Where the private JWK goes (created with mode 0600). */
  readonly out: string;
  /** Replace an existing file. */
  readonly force?: boolean;
}

/** Generate a signing key and write its private JWK to `out` (mode 0600). */
export async function keysGenerate(
  o: KeysGenerateOptions,
): Promise<CommandResult<{ kid: string; alg: string; file: string; publicJwk: KeyMaterial }>> {
  const alg = o.alg ?? 'ES256';
  if (!(KEY_ALGORITHMS as readonly string[]).includes(alg))
    throw new UsageError('--alg must be ES256 or EdDSA');
  if (!o.force && existsSync(o.out)) {
    throw new InputFileError(`${o.out} already exists: choose another --out, or pass --force to replace it`);
  }
  const key = await generateSigningKey(alg);
  writeAtomically(o.out, `${JSON.stringify(key.privateJwk, null, 2)}\n`, 0o600);
  return {
    exitCode: EXIT.OK,
    data: { kid: key.kid, alg: key.alg, file: o.out, publicJwk: key.publicJwk },
    lines: [key.kid, `${key.alg} private key written to ${o.out} (mode 0600: keep it secret)`],
  };
}

/** The public part of a key file: a private JWK from `keys generate`, or a public JWK. */
async function publicKeyOf(path: string): Promise<{ kid: string; alg: string; jwk: KeyMaterial }> {
  const jwk = readJson(path, 'the key file') as Record<string, unknown> | null;
  if (jwk && typeof jwk === 'object' && typeof jwk.d === 'string') {
    const signer = await loadSigner(path, 'the key file');
    return { kid: signer.kid, alg: signer.alg, jwk: signer.publicJwk };
  }
  try {
    const accepted = await acceptPublicKey(jwk);
    return { kid: accepted.kid, alg: accepted.alg, jwk: accepted.jwk };
  } catch {
    throw new InputFileError(`the key file ${path} holds no usable EC P-256 or Ed25519 key`);
  }
}

/** Connection and identity of a province talking to the exchange. */
export interface ProvinceAtExchange {
  readonly exchange: string;
  readonly region: string;
  /** The province's private enrollment JWK file. */
  readonly enrollmentKey: string;
  /** Current time (seconds), for tests. */
  readonly now?: number;
}

/** Options of {@link keysPublish}. */
export interface KeysPublishOptions extends ProvinceAtExchange {
  /** The key file to publish (its public part only is sent). */
  readonly key: string;
  /** Lifetime in days (default 365, at most the federation maximum). */
  readonly notAfterDays?: number;
}

/** Publish the key in `key` for `region` (signed `key.publish` request). */
export async function keysPublish(
  o: KeysPublishOptions,
): Promise<
  CommandResult<{ kid: string; alg: string; notBefore: string; notAfter: string; exchange: unknown }>
> {
  checkRegion(o.region);
  const days = o.notAfterDays ?? 365;
  checkDays(days);
  const key = await publicKeyOf(o.key);
  const enrollment = await loadSigner(o.enrollmentKey, 'the enrollment key file');
  const now = o.now ?? nowSeconds();
  const notAfter = now + days * 86_400;
  const answer = await sendSignedRequest(
    o.exchange,
    `/v1/provinces/${o.region}/keys`,
    enrollment,
    o.region,
    { op: 'key.publish', key: key.jwk, alg: key.alg, notBefore: now, notAfter },
    now,
  );
  return {
    exitCode: EXIT.OK,
    data: {
      kid: key.kid,
      alg: key.alg,
      notBefore: isoTime(now),
      notAfter: isoTime(notAfter),
      exchange: answer,
    },
    lines: [`published ${key.alg} key ${key.kid} for ${o.region}, valid until ${isoTime(notAfter)}`],
  };
}

/** Options of {@link keysRevoke}. */
export interface KeysRevokeOptions extends ProvinceAtExchange {
  readonly kid: string;
  readonly reason: string;
}

/** Revoke key `kid` of `region` (signed `key.revoke` request). */
export async function keysRevoke(
  o: KeysRevokeOptions,
): Promise<CommandResult<{ kid: string; reason: string; revokedAt: string; exchange: unknown }>> {
  checkRegion(o.region);
  if (!KID.test(o.kid)) throw new UsageError('--kid must be a key thumbprint (43 base64url characters)');
  if (!(REVOCATION_REASONS as readonly string[]).includes(o.reason)) {
    throw new UsageError('--reason must be compromised, superseded or retired');
  }
  const enrollment = await loadSigner(o.enrollmentKey, 'the enrollment key file');
  const now = o.now ?? nowSeconds();
  const answer = await sendSignedRequest(
    o.exchange,
    `/v1/provinces/${o.region}/keys/${o.kid}/revoke`,
    enrollment,
    o.region,
    { op: 'key.revoke', kid: o.kid, reason: o.reason, revokedAt: now },
    now,
  );
  const effect =
    o.reason === 'compromised'
      ? 'every code it signed is now rejected'
      : 'codes it signs from now on are rejected; earlier codes stay valid';
  return {
    exitCode: EXIT.OK,
    data: { kid: o.kid, reason: o.reason, revokedAt: isoTime(now), exchange: answer },
    lines: [`revoked key ${o.kid} of ${o.region} as ${o.reason}: ${effect} once verifiers sync`],
  };
}

/** Options of {@link keysRotate}. */
export interface KeysRotateOptions extends ProvinceAtExchange {
  /** The key being replaced: its key file (or give `kid`). */
  readonly key?: string;
  readonly kid?: string;
  /** Where the new private key goes (mode 0600). */
  readonly out: string;
  readonly alg?: string;
  readonly notAfterDays?: number;
  /** Federation JWKS (file path or object), to check the trust list the new key must appear in. */
  readonly federationJwks: string | object;
  /** How long to wait for the new key to appear in the trust list (default 60 s). */
  readonly waitSeconds?: number;
  /** Poll interval in milliseconds (default 1000). */
  readonly pollMs?: number;
}

/**
 * Rotate a signing key: generate a new one, publish it, wait until the signed trust list carries
 * it (so verifiers can know it before any code is signed with it), then revoke the old one as
 * `superseded` (codes it already signed stay valid).
 */
export async function keysRotate(
  o: KeysRotateOptions,
): Promise<CommandResult<{ oldKid: string; newKid: string; file: string; trustListVersion: number }>> {
  checkRegion(o.region);
  const oldKid = o.kid ?? (o.key ? (await publicKeyOf(o.key)).kid : undefined);
  if (!oldKid || !KID.test(oldKid))
    throw new UsageError('give the key being replaced: --key FILE or --kid KID');
  const jwks = federationJwks(o.federationJwks);
  const generated = await keysGenerate({ alg: o.alg, out: o.out });
  const newKid = generated.data.kid;
  await keysPublish({ ...o, key: o.out });

  const deadline = Date.now() + (o.waitSeconds ?? 60) * 1000;
  let version: number | undefined;
  for (;;) {
    const { text } = await call(o.exchange, '/v1/trust-list', { accept: 'application/jose' });
    const list = await openTrustListWith(text, jwks, 'the trust list from the exchange', EXIT.SERVICE);
    const province = list.provinces.find((p) => p.region === o.region);
    if (province?.keys.some((k) => k.kid === newKid && k.status === 'active')) {
      version = list.version;
      break;
    }
    if (Date.now() > deadline) {
      throw new ServiceError(
        `the new key ${newKid} (saved in ${o.out}) is published but not in the trust list yet; ` +
          `the old key was NOT revoked: run \`hcx keys revoke --kid ${oldKid} --reason superseded\` once it appears`,
      );
    }
    await sleep(o.pollMs ?? 1000);
  }
  await keysRevoke({ ...o, kid: oldKid, reason: 'superseded' });
  return {
    exitCode: EXIT.OK,
    data: { oldKid, newKid, file: o.out, trustListVersion: version },
    lines: [
      `new key ${newKid} published and in trust list version ${version}; saved in ${o.out}`,
      `old key ${oldKid} revoked as superseded (codes it already signed stay valid)`,
    ],
  };
}
