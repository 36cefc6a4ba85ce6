/**
 * A bound on the holder-check work one process does. Each check is one scrypt derivation (32 MiB,
 * about 200 ms of one core): without a bound, anonymous `POST /v1/codes/verify` requests with a
 * `holder` queue scrypt work without limit and starve everything else the node does (issuance).
 *
 * At most `concurrency` derivations run at once and at most `queue` more wait; a check beyond that
 * is refused at once with `503 HOLDER_CHECK_BUSY` and `Retry-After`, before any work. p-limit
 * counts the running and the waiting ones.
 */
import pLimit from 'p-limit';
import { RetryLater } from './errors';
import { holderMatches, type HolderBinding } from './holder';

/** One holder check: does the presented document match the code's binding? */
export type HolderCheck = (binding: HolderBinding, idType: string, idNumber: string) => Promise<boolean>;

/** How much holder-check work a process takes on. */
export interface HolderGateOptions {
  /** Derivations running at once (default 2). */
  readonly concurrency?: number;
  /** Derivations waiting for a slot; one more is refused (default 8). */
  readonly queue?: number;
  /** `Retry-After` of a refusal, seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** The check itself (default {@link holderMatches}: scrypt); tests inject a spy. */
  readonly check?: HolderCheck;
}

/** `503 HOLDER_CHECK_BUSY`: the node's holder checks are all taken; retry after `retryAfterSeconds`. */
export class HolderCheckBusy extends RetryLater {
  constructor(retryAfterSeconds: number) {
    super('HOLDER_CHECK_BUSY', retryAfterSeconds);
  }
}

/** A holder check bounded as {@link HolderGateOptions} say. */
export function boundedHolderCheck(options: HolderGateOptions = {}): HolderCheck {
  const concurrency = options.concurrency ?? 2;
  const queue = options.queue ?? 8;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const check = options.check ?? holderMatches;
  if (!Number.isInteger(concurrency) || concurrency < 1 || !Number.isInteger(queue) || queue < 0) {
    throw new TypeError('boundedHolderCheck: concurrency must be ≥ 1 and queue ≥ 0 (integers)');
  }
  const limit = pLimit(concurrency);
  return (binding, idType, idNumber) => {
    if (limit.activeCount + limit.pendingCount >= concurrency + queue) {
      return Promise.reject(new HolderCheckBusy(retryAfter));
    }
    return limit(() => check(binding, idType, idNumber));
  };
}
