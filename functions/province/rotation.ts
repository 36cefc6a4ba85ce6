/**
 * Key rotation of a province's issuer key, in the one order that never leaves a window where codes
 * fail to verify: publish the new key, wait until it is visible in the exchange's signed trust
 * list, switch the issuer to it (the active kid in the province table), wait for every issuer
 * instance to pick the switch up, then revoke the old key as `superseded` (codes it signed before
 * the revocation stay valid until they expire).
 */
import { HcxError } from '../core/errors';
import { LIMITS } from '../core/profiles';
import type { Signer } from '../core/signer';
import { openTrustList } from '../core/trustlist/trust-list';
import { publishKey, revokeKey, type ExchangeClient, type SigningContext } from './exchange-client';
import type { ProvinceRepository } from './repository';
import type { FederationKeys } from './sync';

/** Options of {@link rotateKey}. */
export interface RotateKeyOptions {
  readonly region: string;
  readonly federationId: string;
  readonly exchange: ExchangeClient;
  /** Signs the requests to the exchange. */
  readonly enrollmentSigner: Signer;
  /** The new issuer key (its public part is published; it signs codes once switched to). */
  readonly newSigner: Signer;
  /** The key being replaced (revoked as `superseded` at the end); none on a first key. */
  readonly oldKid?: string;
  /** Where the issuer reads its active kid. */
  readonly repository: Pick<ProvinceRepository, 'setActiveKid'>;
  /** Federation keys to check the trust list with (from configuration). */
  readonly federationKeys: FederationKeys;
  /** Polling for the publication (defaults: every 1 s, for at most 120 s). */
  readonly waitUntilVisible?: { readonly intervalMs?: number; readonly timeoutMs?: number };
  /** Time to let issuer instances notice the switch before the old key is revoked (default 10 s). */
  readonly switchGraceMs?: number;
  /** New key's validity (default: now for the federation's maximum key lifetime). */
  readonly notBefore?: number;
  readonly notAfter?: number;
  /** NumericDate seconds. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What {@link rotateKey} did. */
export interface RotationResult {
  readonly newKid: string;
  readonly oldKid?: string;
  /** Trust list version in which the new key was first seen. */
  readonly visibleInVersion: number;
  /** Polls it took until the key was visible. */
  readonly polls: number;
  /** NumericDate seconds of the old key's revocation (absent when there was none). */
  readonly revokedAt?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Rotate the issuer key (see the module comment for the order and why). Safe to run again. */
export async function rotateKey(options: RotateKeyOptions): Promise<RotationResult> {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const sleep = options.sleep ?? defaultSleep;
  const ctx: SigningContext = {
    exchange: options.exchange,
    enrollmentSigner: options.enrollmentSigner,
    region: options.region,
    federationId: options.federationId,
    now,
  };
  // A minute back: usable at once, and well inside the exchange's own clock-skew allowance.
  const notBefore = options.notBefore ?? now() - 60;
  const notAfter = options.notAfter ?? notBefore + LIMITS.maxKeyLifetime;
  const newKid = options.newSigner.kid;

  // A conflict means it was published already (a rerun after a partial rotation): carry on.
  await publishKey(ctx, {
    publicJwk: { ...options.newSigner.publicJwk },
    alg: options.newSigner.alg,
    notBefore,
    notAfter,
  });

  const interval = options.waitUntilVisible?.intervalMs ?? 1_000;
  const deadline = Date.now() + (options.waitUntilVisible?.timeoutMs ?? 120_000);
  let polls = 0;
  let visibleInVersion: number | undefined;
  for (;;) {
    polls++;
    visibleInVersion = await visibleVersion(options, newKid, now());
    if (visibleInVersion !== undefined) break;
    if (Date.now() >= deadline) {
      throw new HcxError('KEY_NOT_VISIBLE', {
        detail: 'The new key did not appear in the trust list in time',
      });
    }
    await sleep(interval);
  }

  await options.repository.setActiveKid(newKid, now());
  if (!options.oldKid || options.oldKid === newKid) return { newKid, visibleInVersion, polls };

  await sleep(options.switchGraceMs ?? 10_000);
  const revokedAt = now();
  await revokeKey(ctx, options.oldKid, 'superseded', revokedAt);
  return { newKid, oldKid: options.oldKid, visibleInVersion, polls, revokedAt };
}

/** The trust list version when `kid` is an active key of `region` in it, else undefined. */
async function visibleVersion(
  options: RotateKeyOptions,
  kid: string,
  now: number,
): Promise<number | undefined> {
  const answer = await options.exchange.getTrustList();
  if (answer.status !== 200) return undefined;
  const list = await openTrustList(answer.body, options.federationKeys, { now });
  const province = list.provinces.find((p) => p.region === options.region);
  const key = province?.keys.find((k) => k.kid === kid);
  return key && key.status === 'active' ? list.version : undefined;
}
