/** What every command function returns: bin/hcx.ts prints `lines` (or `data` with `--json`) and exits with `exitCode`. */
import type { ExitCode } from './errors';

export interface CommandResult<T = unknown> {
  readonly exitCode: ExitCode;
  /** Machine-readable result (`--json`); never a token or an ID number. */
  readonly data: T;
  /** Human-readable lines. */
  readonly lines: readonly string[];
  /** Failures after part of the work was done (printed on stderr as `hcx: …`, after `lines`). */
  readonly errors?: readonly string[];
}

/** Seconds since the epoch. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A NumericDate as an RFC 3339 string (the one formatter, functions/core/time.ts). */
export { isoTime } from '../core/time';
