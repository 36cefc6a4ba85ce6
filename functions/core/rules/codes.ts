/**
 * Typed spellings of the codes a rule answers: identity functions that check a code against the
 * closed catalogue (functions/core/error-catalogue.ts), and that test/core/error-catalogue.test.ts
 * finds like a raise site.
 */
import type { ErrorCode, KeyReason } from '../error-catalogue';

/** A problem code a rule refuses with. */
export function refused<C extends ErrorCode>(code: C): C {
  return code;
}

/** A key reason a rule refuses with. */
export function keyRefused<R extends KeyReason>(reason: R): R {
  return reason;
}
