/** Read what the hcx loggers printed during a test (for "no personal data in logs" assertions). */
import { captureLogLines } from '../../functions/aws/observability';

/** Lines captured while a test ran. */
export interface CapturedLogs {
  /** Raw JSON lines, in order. */
  readonly lines: readonly string[];
  /** The lines parsed. */
  records(): Record<string, unknown>[];
  /** All lines joined, for `not.toContain(secret)` assertions. */
  text(): string;
  /** Stop capturing (idempotent); returns the captured lines. */
  stop(): readonly string[];
}

/** Start capturing every hcx log line at DEBUG level (nothing reaches stdout until `stop()`). */
export function captureLogs(): CapturedLogs {
  const capture = captureLogLines();
  let stopped = false;
  return {
    lines: capture.lines,
    records: () => capture.lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => capture.lines.join('\n'),
    stop() {
      if (!stopped) capture.stop();
      stopped = true;
      return capture.lines;
    },
  };
}

/** Run `fn` with logs captured; returns its result and the captured lines. */
export async function withCapturedLogs<T>(fn: () => Promise<T>): Promise<{ result: T; logs: CapturedLogs }> {
  const logs = captureLogs();
  try {
    return { result: await fn(), logs };
  } finally {
    logs.stop();
  }
}
