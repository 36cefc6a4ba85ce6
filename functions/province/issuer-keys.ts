/**
 * Which key the issuer signs with. A node may hold several signers (during a rotation: the current
 * key and the next one); the active kid is persisted in the province table by the rotation, so
 * every issuer instance switches within `cacheMs` of it, without a redeploy.
 */
import { InternalError } from '../core/errors';
import type { Signer } from '../core/signer';
import type { ProvinceRepository } from './repository';

/** The issuer's signing key, as of now. */
export interface IssuerKeys {
  /** The signer for the active kid (the first known signer when none was ever switched to). */
  activeSigner(): Promise<Signer>;
  /** The kids of every issuer key this node holds (reloaded, so a key added by a rotation counts). */
  heldKids?(): Promise<string[]>;
}

/** Options of {@link activeSignerResolver}. */
export interface ActiveSignerOptions {
  /**
   * The signers this node can use. Called again (with `reload` true) when the active kid is not
   * among them, so a key file added by a rotation is picked up without a restart.
   */
  readonly signers: (reload: boolean) => Promise<readonly Signer[]>;
  readonly repository: Pick<ProvinceRepository, 'getActiveKid'>;
  /** How long the active kid is cached (default 5 000 ms). */
  readonly cacheMs?: number;
  readonly clock?: () => number;
}

/** An {@link IssuerKeys} that follows the active kid stored in the province table. */
export function activeSignerResolver(options: ActiveSignerOptions): IssuerKeys {
  const cacheMs = options.cacheMs ?? 5_000;
  const clock = options.clock ?? Date.now;
  let cached: { signer: Signer; at: number } | undefined;
  return {
    async heldKids() {
      return (await options.signers(true)).map((s) => s.kid);
    },
    async activeSigner() {
      if (cached && clock() - cached.at < cacheMs) return cached.signer;
      const kid = await options.repository.getActiveKid();
      let signers = await options.signers(false);
      let signer = kid === undefined ? signers[0] : signers.find((s) => s.kid === kid);
      if (!signer) {
        signers = await options.signers(true);
        signer = kid === undefined ? signers[0] : signers.find((s) => s.kid === kid);
      }
      if (!signer) throw new InternalError(new Error('the active issuer key is not available to this node'));
      cached = { signer, at: clock() };
      return signer;
    },
  };
}

/** A lazily created value, created again on the next call if creating it failed. */
export function memoAsync<T>(create: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= create().catch((e: unknown) => {
      value = undefined;
      throw e;
    });
    return value;
  };
}
