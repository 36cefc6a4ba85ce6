/**
 * `hcx keys generate|publish|revoke|rotate`: a province's signing keys, published to and revoked at
 * the exchange with requests signed by its enrollment key (the province node's own client and
 * rotation, functions/province/).
 */
import { existsSync } from 'node:fs';
import type { KeyMaterial } from '../../core/algorithms';
import { hasCode } from '../../core/errors';
import { acceptPublicKey, generateSigningKey } from '../../core/keys';
import { LIMITS } from '../../core/profiles';
import type { KeyRevocationReason } from '../../core/schemas/types.gen';
import { publishKey, revokeKey } from '../../province/exchange-client';
import { rotateKey } from '../../province/rotation';
import { CliError, EXIT, InputFileError, ServiceError, UsageError } from '../errors';
import { atExchange, signingContext, type Answer, type ProvinceIdentity } from '../exchange';
import { federationJwks, loadSigner, readJson, writeAtomically } from '../files';
import { call } from '../http';
import { isoTime, type CommandResult } from '../result';
import { keysOf, openTrustListWith } from '../trust';

const KID = /^[A-Za-z0-9_-]{43}$/;
const REGION = /^\d{2}0000$/;
export const KEY_ALGORITHMS = ['ES256', 'EdDSA', 'SM2'] as const;
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
    throw new UsageError('--alg must be ES256, EdDSA or SM2');
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

/**
 * A new key's validity: from a minute ago (usable at once, well inside the exchange's clock-skew
 * allowance, as the node's own rotation does) for `days` days.
 */
function validity(now: number, days: number): { notBefore: number; notAfter: number } {
  const notBefore = now - 60;
  return { notBefore, notAfter: notBefore + days * 86_400 };
}

/** Options of {@link keysPublish}. */
export interface KeysPublishOptions extends ProvinceIdentity {
  /** The key file to publish (its public part only is sent). */
  readonly key: string;
  /** Lifetime in days (default 365, at most the federation maximum). */
  readonly notAfterDays?: number;
}

/** Publish the key in `key` for `region` (signed `key.publish` request). */
export async function keysPublish(
  o: KeysPublishOptions,
): Promise<
  CommandResult<{ kid: string; alg: string; notBefore: string; notAfter: string; exchange?: Answer }>
> {
  checkRegion(o.region);
  const days = o.notAfterDays ?? 365;
  checkDays(days);
  const key = await publicKeyOf(o.key);
  const ctx = await signingContext(o);
  const { notBefore, notAfter } = validity(ctx.now(), days);
  await atExchange(o.exchange, () =>
    publishKey(ctx, { publicJwk: { ...key.jwk }, alg: key.alg, notBefore, notAfter }),
  );
  return {
    exitCode: EXIT.OK,
    data: {
      kid: key.kid,
      alg: key.alg,
      notBefore: isoTime(notBefore),
      notAfter: isoTime(notAfter),
      exchange: ctx.answers.at(-1),
    },
    lines: [`published ${key.alg} key ${key.kid} for ${o.region}, valid until ${isoTime(notAfter)}`],
  };
}

/** Options of {@link keysRevoke}. */
export interface KeysRevokeOptions extends ProvinceIdentity {
  readonly kid: string;
  readonly reason: string;
}

/** Revoke key `kid` of `region` (signed `key.revoke` request). */
export async function keysRevoke(
  o: KeysRevokeOptions,
): Promise<CommandResult<{ kid: string; reason: string; revokedAt: string; exchange?: Answer }>> {
  checkRegion(o.region);
  if (!KID.test(o.kid)) throw new UsageError('--kid must be a key thumbprint (43 base64url characters)');
  if (!(REVOCATION_REASONS as readonly string[]).includes(o.reason)) {
    throw new UsageError('--reason must be compromised, superseded or retired');
  }
  const ctx = await signingContext(o);
  const revokedAt = ctx.now();
  await atExchange(o.exchange, () => revokeKey(ctx, o.kid, o.reason as KeyRevocationReason, revokedAt));
  const effect =
    o.reason === 'compromised'
      ? 'every code it signed is rejected'
      : 'codes it signs from now on are rejected (earlier ones stay valid)';
  return {
    exitCode: EXIT.OK,
    data: { kid: o.kid, reason: o.reason, revokedAt: isoTime(revokedAt), exchange: ctx.answers.at(-1) },
    lines: [`revoked key ${o.kid} of ${o.region} as ${o.reason}: once verifiers sync, ${effect}`],
  };
}

/** Options of {@link keysRotate}. */
export interface KeysRotateOptions extends ProvinceIdentity {
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
  /** Revoke the old key as `superseded` once the new one is visible (default true). */
  readonly revokeOld?: boolean;
  /** Poll interval in milliseconds (default 1000). */
  readonly pollMs?: number;
}

/** Refuse to rotate a key that is not an active key of `region` in the exchange's verified trust list. */
async function checkActive(
  exchange: string,
  jwks: { keys: unknown[] },
  region: string,
  kid: string,
  now: number,
): Promise<void> {
  const { text } = await call(exchange, '/v1/trust-list', { accept: 'application/jose' });
  const list = await openTrustListWith(text, jwks, `the trust list from ${exchange}`, {
    now,
    exitCode: EXIT.SERVICE,
  });
  const key = list.provinces.find((p) => p.region === region)?.keys.find((k) => k.kid === kid);
  if (!key || key.status !== 'active') {
    throw new UsageError(
      `key ${kid} is ${key ? `already ${key.status}` : `not a key of ${region} in the trust list`}: nothing to rotate ` +
        '(to add a key without replacing one, use `hcx keys generate` and `hcx keys publish`)',
    );
  }
}

/**
 * Rotate a signing key held in files: generate a new one, publish it, wait until the signed trust
 * list carries it (so verifiers know it before any code is signed with it), then revoke the old one
 * as `superseded` (codes it already signed stay valid). It does not switch any province node to the
 * new key: a node signs with the keys its own configuration gives it (docs/cli.md).
 */
export async function keysRotate(o: KeysRotateOptions): Promise<
  CommandResult<{
    oldKid: string;
    newKid: string;
    file: string;
    trustListVersion: number;
    oldRevoked: boolean;
  }>
> {
  checkRegion(o.region);
  const days = o.notAfterDays ?? 365;
  checkDays(days);
  const oldKid = o.kid ?? (o.key ? (await publicKeyOf(o.key)).kid : undefined);
  if (!oldKid || !KID.test(oldKid))
    throw new UsageError('give the key being replaced: --key FILE or --kid KID');
  const waitSeconds = o.waitSeconds ?? 60;
  if (!(waitSeconds >= 0)) throw new UsageError('--wait must be a number of seconds');
  const jwks = federationJwks(o.federationJwks);
  const keys = keysOf(jwks);
  // Everything that can fail without side effects comes first: no key file is left behind for it.
  const ctx = await signingContext(o);
  await checkActive(o.exchange, jwks, o.region, oldKid, ctx.now());
  const generated = await keysGenerate({ alg: o.alg, out: o.out });
  const newSigner = await loadSigner(o.out, 'the new key file');
  const revokeOld = o.revokeOld ?? true;
  const { notBefore, notAfter } = validity(ctx.now(), days);

  let visible = false;
  let rotated;
  try {
    rotated = await atExchange(o.exchange, () =>
      rotateKey({
        region: o.region,
        federationId: ctx.federationId,
        exchange: ctx.exchange,
        enrollmentSigner: ctx.enrollmentSigner,
        newSigner,
        oldKid: revokeOld ? oldKid : undefined,
        // The node's rotation switches its issuer here (the active kid in the province table). The
        // CLI has no node to switch (whoever signs with these key files switches to the new one), so
        // this step only records that the new key is visible, to say precisely what a failure left.
        repository: {
          setActiveKid: async () => {
            visible = true;
          },
        },
        switchGraceMs: 0,
        federationKeys: keys,
        waitUntilVisible: { intervalMs: o.pollMs ?? 1_000, timeoutMs: waitSeconds * 1_000 },
        notBefore,
        notAfter,
        now: ctx.now,
      }),
    );
  } catch (e) {
    const newKid = generated.data.kid;
    const revokeHint = `\`hcx keys revoke --kid ${oldKid} --reason superseded\``;
    if (hasCode(e, 'KEY_NOT_VISIBLE')) {
      throw new ServiceError(
        `the new key ${newKid} (saved in ${o.out}) is published but not in the trust list after ` +
          `${waitSeconds} s, so the old key ${oldKid} was NOT revoked: once \`hcx trust-list fetch\` lists ` +
          `the new key, run ${revokeHint}`,
      );
    }
    if (!(e instanceof CliError)) throw e;
    throw new ServiceError(
      visible
        ? `${e.message}; the new key ${newKid} (saved in ${o.out}) is published and in the trust list, ` +
            `but the old key ${oldKid} was NOT revoked: run ${revokeHint}`
        : `${e.message}; the new key ${newKid} is saved in ${o.out}, the old key ${oldKid} was NOT revoked`,
      (e as ServiceError).status,
      (e as ServiceError).code,
    );
  }
  return {
    exitCode: EXIT.OK,
    data: {
      oldKid,
      newKid: rotated.newKid,
      file: o.out,
      trustListVersion: rotated.visibleInVersion,
      oldRevoked: rotated.revokedAt !== undefined,
    },
    lines: [
      `new key ${rotated.newKid} published and in trust list version ${rotated.visibleInVersion}; saved in ${o.out}`,
      rotated.revokedAt !== undefined
        ? `old key ${oldKid} revoked as superseded (codes it already signed stay valid)`
        : `old key ${oldKid} left active (--no-revoke): revoke it with \`hcx keys revoke --kid ${oldKid} --reason superseded\``,
    ],
  };
}
