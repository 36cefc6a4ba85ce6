/**
 * What the `hcx` command can fail with, and the exit code of each.
 *
 * Every failure the user can act on is a {@link CliError}: its message says what was wrong and what
 * to do, and bin/hcx.ts prints it as `hcx: <message>` (never a stack trace, never a token or an ID
 * number) and exits with its code.
 */

/** Documented exit codes (docs/cli.md). */
export const EXIT = {
  /** Done; for `verify`, the code is valid. */
  OK: 0,
  /** `verify`: the code is invalid or the result indeterminate. */
  NOT_VALID: 1,
  /** Bad arguments or options. */
  USAGE: 2,
  /** The exchange or a node could not be reached, or answered with an error. */
  SERVICE: 3,
  /** A file could not be read, parsed or written, or holds something unusable. */
  INPUT: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure with a user-facing message and an exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad arguments: exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(EXIT.USAGE, message);
  }
}

/** The exchange or a node is unreachable or answered with a problem: exit 3. */
export class ServiceError extends CliError {
  /** HTTP status, when the service answered. */
  readonly status?: number;
  /** Problem details `code`, when the service answered with one. */
  readonly code?: string;
  constructor(message: string, status?: number, code?: string) {
    super(EXIT.SERVICE, message);
    this.status = status;
    this.code = code;
  }
}

/** A file is missing, unreadable, malformed or unusable: exit 4. */
export class InputFileError extends CliError {
  constructor(message: string) {
    super(EXIT.INPUT, message);
  }
}
