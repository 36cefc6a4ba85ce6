/**
 * The one module that configures logging and metrics: the `logger` and `metrics` every function
 * uses (Powertools' JSON lines and EMF documents, printed by functions/aws/lambda-log.ts), child
 * loggers for the embedded runtime (several services in one process), and the redaction safeguard
 * that keeps personal data out of log lines.
 *
 * Log messages are constant strings; variable facts go in structured keys. Whatever a caller
 * passes, every line goes through {@link logReplacer}: attributes named like a holder's name, an ID
 * number, a code, a token, an authorization header or a request body are masked, and string values
 * shaped like a code (`HCX1:`, `HCX2:`), a compact JWS, a resident ID number or a bearer token are masked too,
 * so one careless `logger.info('…', { body })` cannot leak a traveller's identity. Use `errorCode`
 * (not `code`) for an error's stable code: `code` is masked, it is the name of the health code.
 *
 * Under jest (or with `HCX_LOG_SILENT=true`) the level defaults to `SILENT` so test output stays
 * clean; `POWERTOOLS_LOG_LEVEL` / `LOG_LEVEL` still win. Tests read what was logged with
 * {@link captureLogLines} (wrapped by `captureLogs()` in `test/kit`).
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import {
  type ConstructorOptions,
  LOG_OUTPUT,
  Logger,
  type LogItemExtraInput,
  type LogItemMessage,
  type LogLevel,
  Metrics,
} from './lambda-log';
import { currentInvocation } from '../core/invocation';
import { ENV, LOCAL_ENV } from './env';
import { METRIC_NAMESPACE } from './names';

/** The value that replaces a masked attribute or a masked part of a string. */
export const REDACTED = '[REDACTED]';

// Normalised (lower case, no `_`/`-`) attribute names that are masked wherever they appear.
const SENSITIVE_KEYS = new Set([
  'name',
  'holdername',
  'fullname',
  'hn',
  'maskedname',
  'idnumber',
  'idno',
  'hb',
  'code',
  'codes',
  'qr',
  'token',
  'authorization',
  'cookie',
  'setcookie',
  'body',
  'rawbody',
  'parsed',
  'password',
  'secret',
  'phone',
  'address',
  'd',
]);
const SENSITIVE_SUFFIXES = ['token', 'idnumber', 'authorization', 'secret', 'password', 'holdername'];

/** True when an attribute named `key` may hold personal data or a secret and must never be logged. */
export function isSensitiveKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[_-]/g, '');
  return SENSITIVE_KEYS.has(k) || SENSITIVE_SUFFIXES.some((s) => k.endsWith(s));
}

// Values that look like personal data or credentials whatever the key they hide under.
const SENSITIVE_VALUES: readonly RegExp[] = [
  /HCX[12]:[^\s"',;]*/g, // a health code (HCX2 in text or QR form, HCX1)
  /eyJ[\w-]*\.[\w-]*\.[\w-]*/g, // a compact JWS / JWT
  /\b[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]\b/g, // resident ID number
  /\bBearer\s+[^\s"',;]+/gi, // bearer token
  /\b1[3-9]\d{9}\b/g, // mainland mobile phone number
];

/** Mask the parts of a string that look like a code, a JWS, an ID number or a bearer token. */
export function redactString(value: string): string {
  let out = value;
  for (const re of SENSITIVE_VALUES) out = out.replace(re, REDACTED);
  return out;
}

/**
 * The JSON replacer every hcx logger serialises with: masks sensitive keys at any depth and
 * sensitive-looking strings, and describes errors with {@link errorLogAttributes}. The keys every
 * line carries (`function_name`, `service`…) are not affected.
 */
export function logReplacer(key: string, value: unknown): unknown {
  if (key !== '' && isSensitiveKey(key)) return REDACTED;
  if (typeof value === 'string') return redactString(value);
  // The logger would print an error's message, which may quote input: describe it safely instead.
  if (value instanceof Error) return errorLogAttributes(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A copy of `attrs` with sensitive keys masked at any depth (for attributes built outside a log call). */
export function safeLogAttributes(attrs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(attrs, logReplacer) ?? '{}') as Record<string, unknown>;
}

/**
 * Safe structured description of an error for a log line: name, stable code, status and reason
 * codes of an hcx error; name and message of an AWS SDK error; for anything else only the name and
 * the stack frames (a plain `Error`'s message may quote input, e.g. `JSON.parse`'s does).
 */
export function errorLogAttributes(e: unknown): Record<string, unknown> {
  if (typeof e !== 'object' || e === null) return { errorName: typeof e };
  const err = e as Record<string, unknown> & { name?: unknown; stack?: unknown; cause?: unknown };
  const out: Record<string, unknown> = { errorName: typeof err.name === 'string' ? err.name : 'Unknown' };
  if (typeof err.code === 'string' && typeof err.status === 'number') {
    out.errorCode = err.code;
    out.status = err.status;
    // An hcx error's detail is public by contract (never echoes input), so it may be logged.
    if (typeof err.detail === 'string') out.detail = redactString(err.detail);
  }
  for (const k of ['reason', 'problem'] as const) if (typeof err[k] === 'string') out[k] = err[k];
  const meta = err.$metadata as { httpStatusCode?: unknown; requestId?: unknown } | undefined;
  if (meta && typeof meta === 'object') {
    out.sdkStatus = meta.httpStatusCode;
    out.sdkRequestId = meta.requestId;
    if (typeof err.message === 'string') out.errorMessage = redactString(err.message).slice(0, 300);
  }
  // A refused request (4xx) is expected: its stack says nothing; a failure's stack is what we debug.
  // `clientError` is tested first: reading `stack` formats it, and the first frames mapped parse the
  // bundle's source map.
  const clientError = typeof err.status === 'number' && err.status < 500;
  if (!clientError && typeof err.stack === 'string') {
    out.stack = err.stack
      .split('\n')
      .filter((l) => /^\s+at /.test(l))
      .slice(0, 8)
      .map((l) => mapStackFrame(l.trim()));
  }
  if (err.cause !== undefined && err.cause !== e) {
    const c = err.cause as { name?: unknown; code?: unknown } | null;
    out.causeName = typeof c === 'object' && c !== null && typeof c.name === 'string' ? c.name : typeof c;
    if (typeof c === 'object' && c !== null && typeof c.code === 'string') out.causeCode = c.code;
  }
  return out;
}

/**
 * The source map of the bundle this module is part of (`<bundle>.js.map`, written next to it by
 * the CDK bundling), read and parsed on first use; `null` when there is none (tests, `npm start`).
 * Functions run without `--enable-source-maps`, which would read and parse it at every cold start
 * (about 10 ms of CPU for a 200 KB bundle, see docs/deploy.md#cold-start): only the stack frames
 * hcx logs need mapping, and only a failure logs them.
 */
let bundleMap: SourceMap | null | undefined;
function sourceMapOfBundle(): SourceMap | null {
  if (bundleMap === undefined) {
    try {
      bundleMap = new SourceMap(JSON.parse(readFileSync(`${__filename}.map`, 'utf8')) as SourceMapPayload);
    } catch {
      bundleMap = null;
    }
  }
  return bundleMap;
}

/** A source of the map (relative to where the bundle was built) from the project root or the package. */
function projectPath(source: string): string {
  for (const marker of ['node_modules/', 'functions/']) {
    const at = source.lastIndexOf(marker);
    if (at >= 0) return source.slice(at);
  }
  return source.replace(/^(?:\.\.\/)+/, '');
}

/**
 * A stack frame (`at fn (/var/task/index.js:1:2345)`) with its position in the bundle replaced by
 * the TypeScript (or package) source, line and column it was built from
 * (`at fn (functions/exchange/append.ts:42:11)`); any other frame unchanged.
 */
export function mapStackFrame(
  frame: string,
  bundleFile: string = __filename,
  map = sourceMapOfBundle(),
): string {
  if (!map) return frame;
  return frame.replace(
    /([^\s(]+):(\d+):(\d+)(?=\)?$)/,
    (whole, file: string, line: string, column: string) => {
      if (file !== bundleFile) return whole;
      const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as {
        originalSource?: string;
        originalLine?: number;
        originalColumn?: number;
      };
      if (entry.originalSource === undefined || entry.originalLine === undefined) return whole;
      return `${projectPath(entry.originalSource)}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
    },
  );
}

// Where every line is printed (functions/aws/lambda-log.ts): tests spy on `LOG_OUTPUT.write`.
export { LOG_OUTPUT };
export type { Logger, LogLevel };

// Every logger this module created (root and children), so a level change or a capture reaches all.
const loggers = new Set<HcxLogger>();
type Sink = (line: string) => void;
const sinks = new Set<Sink>();

/** The logger (functions/aws/lambda-log.ts) with hcx's replacer forced on, and a capture hook for tests. */
class HcxLogger extends Logger {
  constructor(options: ConstructorOptions = {}) {
    super({ ...options, jsonReplacerFn: logReplacer as ConstructorOptions['jsonReplacerFn'] });
    loggers.add(this);
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new HcxLogger(options);
  }

  // The logger keeps one Lambda context per logger and process; with several invocations in flight
  // (the embedded runtime), the last one to start would name every line. Each line takes the context
  // of the invocation it is written for (invocation.ts), and its cold-start flag is read once.
  override getColdStart(): boolean {
    const invocation = currentInvocation();
    if (!invocation) return super.getColdStart();
    invocation.coldStart ??= super.getColdStart();
    return invocation.coldStart;
  }

  // While a test captures, every line is captured whatever the level (the logger resets the level
  // on each warm invocation, so raising it would not last) and nothing reaches stdout.
  protected override processLogItem(
    logLevel: number,
    input: LogItemMessage,
    extraInput: LogItemExtraInput,
  ): void {
    const invocation = currentInvocation();
    if (invocation) this.addContext(invocation.context);
    if (sinks.size === 0) {
      super.processLogItem(logLevel, input, extraInput);
      return;
    }
    const line = JSON.stringify(
      this.createAndPopulateLogItem(logLevel, input, extraInput).getAttributes(),
      this.getJsonReplacer(),
    );
    for (const sink of sinks) sink(line);
  }
}

function quietByDefault(): boolean {
  return process.env.JEST_WORKER_ID !== undefined || process.env[LOCAL_ENV.HCX_LOG_SILENT] === 'true';
}

function initialLevel(): LogLevel {
  const fromEnv = process.env[ENV.POWERTOOLS_LOG_LEVEL] || process.env.LOG_LEVEL;
  if (fromEnv) return fromEnv.toUpperCase() as LogLevel;
  return quietByDefault() ? 'SILENT' : 'INFO';
}

/** The root logger (service from `POWERTOOLS_SERVICE_NAME`, default `hcx`; JSON lines). */
export const logger: Logger = new HcxLogger({
  serviceName: process.env[ENV.POWERTOOLS_SERVICE_NAME] || 'hcx',
  logLevel: initialLevel(),
});

// Quiet runs (tests, embedded) drop metrics instead of printing EMF lines, unless the env asks for them.
const metricsQuiet = quietByDefault() && process.env.POWERTOOLS_METRICS_DISABLED === undefined;
// Nothing is emitted either way (`npm start` disables metrics on a terminal): then nothing is stored.
const metricsOff = metricsQuiet || process.env.POWERTOOLS_METRICS_DISABLED?.toLowerCase() === 'true';

/** The metrics (functions/aws/lambda-log.ts), silent in quiet runs, and free when nothing would be emitted. */
class HcxMetrics extends Metrics {
  // Storing a metric costs a few microseconds per request (validation and storage on
  // every call): not worth paying for a line nobody prints.
  override addMetric(...args: Parameters<Metrics['addMetric']>): this {
    return metricsOff ? this : super.addMetric(...args);
  }

  override hasStoredMetrics(): boolean {
    return metricsOff ? false : super.hasStoredMetrics();
  }

  // Metrics warn "No application metrics to publish" when nothing is stored: on a terminal that
  // floods `npm start` (every sync), in AWS it is one useless CloudWatch line per invocation.
  override publishStoredMetrics(): this {
    if (!metricsQuiet && this.hasStoredMetrics()) return super.publishStoredMetrics();
    this.clearMetrics();
    return this;
  }
}

/** The metrics emitter (namespace `hcx`, Embedded Metric Format); its own warnings go through `logger`. */
export const metrics: Metrics = new HcxMetrics({
  namespace: METRIC_NAMESPACE,
  serviceName: process.env[ENV.POWERTOOLS_SERVICE_NAME] || 'hcx',
  logger,
});

/**
 * A logger for one service of the embedded runtime (e.g. `province-330000`), with persistent
 * attributes (masked by {@link safeLogAttributes}); same level, format and redaction as `logger`.
 */
export function childLogger(service: string, attrs: Readonly<Record<string, unknown>> = {}): Logger {
  return logger.createChild({ serviceName: service, persistentKeys: safeLogAttributes(attrs) });
}

/** Set the level of every hcx logger at once (the root and all children). */
export function setLogLevel(level: LogLevel): void {
  for (const l of loggers) l.setLogLevel(level);
}

/** Lines captured by {@link captureLogLines}. */
export interface LogCapture {
  /** Every JSON line printed by any hcx logger since the capture started, in order. */
  readonly lines: readonly string[];
  /** Stop capturing. */
  stop(): void;
}

/**
 * Capture every line the hcx loggers would print, at any level, instead of writing it to stdout.
 * For tests: "no personal data in logs" assertions read `lines`. Always call `stop()`.
 */
export function captureLogLines(): LogCapture {
  const lines: string[] = [];
  const sink: Sink = (line) => lines.push(line);
  sinks.add(sink);
  return {
    lines,
    stop() {
      sinks.delete(sink);
    },
  };
}
