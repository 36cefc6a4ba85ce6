/**
 * The JSON log lines and EMF metric documents of Powertools for AWS Lambda (logger and metrics
 * 2.36), written by a small module of its own because of what Powertools costs at a cold start:
 * removing it from a function's bundle took 5.2 ms of CPU off the function's init (31 interleaved
 * rounds, docs/deploy.md#cold-start), a third of the 15 ms budget every function has
 * (issue 13). Only the part hcx uses is here: a logger (levels, the Lambda context keys, persistent
 * and temporary keys, child loggers, debug sampling, AWS Lambda's log-level control) and metrics
 * (`addMetric`, one EMF document per publication, with the `service` dimension), and the two middy
 * middlewares. test/http/lambda-log.test.ts prints the same calls through Powertools (a development
 * dependency) and through this module and asserts the same lines, byte for byte.
 *
 * Environment read as Powertools reads it: `POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_LOG_LEVEL` /
 * `LOG_LEVEL`, `AWS_LAMBDA_LOG_LEVEL`, `POWERTOOLS_LOGGER_SAMPLE_RATE`, `POWERTOOLS_DEV` (pretty
 * lines on the global console, metrics off), `POWERTOOLS_METRICS_NAMESPACE`,
 * `POWERTOOLS_METRICS_DISABLED`, `AWS_LAMBDA_INITIALIZATION_TYPE` (the cold-start flag), `TZ` (the
 * timestamp's offset) and `_X_AMZN_TRACE_ID`. Not carried over (hcx never used them): log
 * buffering, correlation ids, logging the event, dimensions other than `service`, metadata, and
 * the cold-start metric.
 */
import { randomInt } from 'node:crypto';
import { writeSync } from 'node:fs';
import { format } from 'node:util';
import type { Context } from 'aws-lambda';

/** Log levels, as Powertools names them. */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL' | 'SILENT';

const THRESHOLD: Readonly<Record<LogLevel, number>> = {
  TRACE: 6,
  DEBUG: 8,
  INFO: 12,
  WARN: 16,
  ERROR: 20,
  CRITICAL: 24,
  SILENT: 28,
};
const LEVEL_NAME = new Map(Object.entries(THRESHOLD).map(([name, n]) => [n, name as LogLevel]));
// Keys of every line that an attribute may not replace (Powertools drops them with a warning).
const RESERVED_KEYS = ['level', 'message', 'sampling_rate', 'service', 'timestamp'];
const DEFAULT_SERVICE = 'service_undefined';

const isLevel = (value: unknown): value is LogLevel => typeof value === 'string' && value in THRESHOLD;
const env = (key: string): string => process.env[key]?.trim() ?? '';

/** `POWERTOOLS_DEV`: pretty lines on the global console, metrics off (Powertools' extended parsing). */
function isDevMode(): boolean {
  return ['1', 'y', 'yes', 't', 'true', 'on'].includes(env('POWERTOOLS_DEV').toLowerCase());
}

/** An unset variable is false; a set one must read as a boolean (Powertools' extended parsing). */
function booleanFromEnv(key: string): boolean {
  if (process.env[key] === undefined) return false;
  const value = env(key).toLowerCase();
  if (['1', 'y', 'yes', 't', 'true', 'on'].includes(value)) return true;
  if (['0', 'n', 'no', 'f', 'false', 'off'].includes(value)) return false;
  throw new Error(`Environment variable ${key} must be a boolean`);
}

/** The X-Ray trace id of the invocation (`Root=` of `_X_AMZN_TRACE_ID`, or the runtime's store). */
function xRayTraceId(): string | undefined {
  const store = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } } })
    .awslambda?.InvokeStore;
  const header = store?.getXRayTraceId() ?? env('_X_AMZN_TRACE_ID');
  if (header === '') return undefined;
  if (!header.includes('=')) return header;
  const fields: Record<string, string> = {};
  for (const field of header.split(';')) {
    const [key, value] = field.split('=');
    fields[key] = value;
  }
  return fields.Root;
}

/** ISO 8601 in UTC, or with the offset of `TZ` when it names another zone (as Powertools prints it). */
function timestamp(now: Date): string {
  const zone = env('TZ');
  if (!zone || zone.includes('UTC')) return now.toISOString();
  let resolved = zone;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    resolved = 'UTC';
  }
  const parts: Record<string, string> = {};
  const two = '2-digit' as const;
  const formatter = new Intl.DateTimeFormat('en', {
    hourCycle: 'h23',
    year: 'numeric',
    month: two,
    day: two,
    hour: two,
    minute: two,
    second: two,
    timeZone: resolved,
  });
  for (const part of formatter.formatToParts(now)) parts[part.type] = part.value;
  const offset = resolved === zone ? -now.getTimezoneOffset() : 0;
  const hours = Math.abs(Math.floor(offset / 60))
    .toString()
    .padStart(2, '0');
  const minutes = Math.abs(offset % 60)
    .toString()
    .padStart(2, '0');
  const millis = now.getMilliseconds().toString().padStart(3, '0');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}.${millis}${offset >= 0 ? '+' : '-'}${hours}:${minutes}`;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * Powertools' deep merge (commons `deepMerge`): plain objects merged key by key and arrays index by
 * index (both copied), other values replaced unless the new one is `undefined`, `__proto__` and
 * `constructor` keys and circular references skipped.
 */
function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>, seen: unknown[]): void {
  for (const key of Object.keys(source)) {
    if (key === '__proto__' || key === 'constructor') continue;
    const value = source[key];
    const current = target[key];
    if (Array.isArray(value) || isPlainObject(value)) {
      if (seen.includes(value)) continue;
      seen.push(value);
      if (Array.isArray(value)) {
        const into = Array.isArray(current) ? current : [];
        mergeItems(into, value, seen);
        if (into !== current) target[key] = into;
      } else {
        const into = isPlainObject(current) ? current : {};
        mergeInto(into, value, seen);
        if (into !== current) target[key] = into;
      }
      seen.pop();
    } else if (value !== undefined || current === undefined) {
      target[key] = value;
    }
  }
}

function mergeItems(target: unknown[], source: readonly unknown[], seen: unknown[]): void {
  source.forEach((value, i) => {
    const current = target[i];
    if (isPlainObject(value)) {
      if (seen.includes(value)) return;
      seen.push(value);
      const into = isPlainObject(current) ? current : {};
      mergeInto(into, value, seen);
      target[i] = into;
      seen.pop();
    } else if (Array.isArray(value)) {
      if (seen.includes(value)) return;
      seen.push(value);
      const into = Array.isArray(current) ? current : [];
      mergeItems(into, value, seen);
      target[i] = into;
      seen.pop();
    } else if (value !== undefined || current === undefined) {
      target[i] = value;
    }
  });
}

function deepMerge<T extends Record<string, unknown>>(target: T, ...sources: unknown[]): T {
  for (const source of sources) {
    if (source !== null && source !== undefined)
      mergeInto(target, source as Record<string, unknown>, [target, source]);
  }
  return target;
}

/**
 * Where every line is printed: written at once to the process's standard output (descriptor 1) or
 * standard error (2) with `fs.writeSync`. Node creates `process.stdout` / `process.stderr` on first
 * access (a `net.Socket` for a pipe), about 1 ms of CPU at a cold start (docs/deploy.md#cold-start).
 * `info`/`debug`/`log`/`trace` go to standard output and `warn`/`error` to standard error, as
 * Node's console does; writes stay synchronous, as Node's writes to a pipe or file standard output
 * are on Linux. Should a descriptor refuse a write (it is non-blocking and full), that line and every
 * later one on it go through Node's stream instead, which queues them: nothing is dropped, and
 * lines stay in order. Tests spy on `write`.
 */
export const LOG_OUTPUT = {
  /** Whether each descriptor has moved to Node's stream (see above). */
  viaStream: { 1: false, 2: false } as Record<1 | 2, boolean>,
  write(fd: 1 | 2, line: string): void {
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    let written = 0;
    if (!this.viaStream[fd]) {
      try {
        while (written < bytes.length) written += writeSync(fd, bytes, written);
        return;
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'EAGAIN') return; // closed or broken: dropped, as Console does
        this.viaStream[fd] = true;
      }
    }
    // As Console does: a stream error (a closed pipe) drops the line instead of throwing.
    const stream = fd === 1 ? process.stdout : process.stderr;
    const ignore = (): void => undefined;
    stream.once('error', ignore);
    try {
      stream.write(bytes.subarray(written), ignore);
    } finally {
      stream.removeListener('error', ignore);
    }
  },
};

/** What a logger or the metrics print through: {@link LOG_OUTPUT}, or the global console with `POWERTOOLS_DEV`. */
interface LineConsole {
  info(line: string): void;
  debug(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  log(line: string): void;
}

function lineConsole(): LineConsole {
  if (isDevMode()) {
    return {
      info: (l) => console.info(l),
      debug: (l) => console.debug(l),
      warn: (l) => console.warn(l),
      error: (l) => console.error(l),
      log: (l) => console.log(l),
    };
  }
  const out = (line: string): void => LOG_OUTPUT.write(1, format(line));
  const err = (line: string): void => LOG_OUTPUT.write(2, format(line));
  return { log: out, info: out, debug: out, warn: err, error: err };
}

/** The Lambda context keys of a line. */
interface LambdaContextKeys {
  readonly invokedFunctionArn: string;
  readonly coldStart: boolean;
  readonly awsRequestId: string;
  readonly memoryLimitInMB: string | number;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly tenantId?: string;
}

export type LogAttributes = Record<string, unknown>;
export type LogItemMessage = string | (LogAttributes & { message: string });
export type LogItemExtraInput = unknown[];

export interface ConstructorOptions {
  readonly serviceName?: string;
  readonly logLevel?: string;
  readonly sampleRateValue?: number;
  readonly persistentKeys?: LogAttributes;
  /** Called first on every key and value of a line (hcx's redaction); must turn errors into plain data. */
  readonly jsonReplacerFn?: (key: string, value: unknown) => unknown;
}

/** A built line, before printing (Powertools' `LogItem`). */
export class LogItem {
  constructor(private attributes: LogAttributes) {}
  getAttributes(): LogAttributes {
    return this.attributes;
  }
  /** Top-level keys without a value (`undefined`, `null`, `''`) are left out of the line. */
  prepareForPrint(): void {
    const kept: LogAttributes = {};
    for (const [key, value] of Object.entries(this.attributes)) {
      if (value !== undefined && value !== '' && value !== null) kept[key] = value;
    }
    this.attributes = kept;
  }
}

/** A structured JSON logger printing Powertools' lines (see the file comment). */
export class Logger {
  private readonly serviceName: string;
  private readonly sampleRateValue: number;
  private readonly alcLevel: LogLevel | undefined;
  private readonly initialLevel: number;
  private readonly jsonReplacerFn: ConstructorOptions['jsonReplacerFn'];
  private readonly indent: number;
  private readonly console: LineConsole;
  private level: number = THRESHOLD.INFO;
  private coldStart = env('AWS_LAMBDA_INITIALIZATION_TYPE') === 'on-demand';
  private refreshedTimes = 0;
  private persistent: LogAttributes = {};
  private temporary: LogAttributes = {};
  private lambdaContext: LambdaContextKeys | undefined;
  private readonly warnedOnce = new Set<string>();
  private initialized = false;
  private readonly pending: [number, LogItemMessage, LogItemExtraInput][] = [];

  constructor(options: ConstructorOptions = {}) {
    this.serviceName = options.serviceName || env('POWERTOOLS_SERVICE_NAME') || DEFAULT_SERVICE;
    if (options.persistentKeys) this.appendPersistentKeys(options.persistentKeys);
    const alc = env('AWS_LAMBDA_LOG_LEVEL');
    const alcLevel = alc === 'FATAL' ? 'CRITICAL' : alc;
    this.alcLevel = isLevel(alcLevel) ? alcLevel : undefined;
    const chosen = options.logLevel?.toUpperCase();
    if (this.alcLevel !== undefined) {
      this.level = THRESHOLD[this.alcLevel];
      this.warnIfBelowAlc(chosen);
    } else if (isLevel(chosen)) {
      this.level = THRESHOLD[chosen];
    } else {
      const fromEnv = env('POWERTOOLS_LOG_LEVEL') || env('LOG_LEVEL');
      if (isLevel(fromEnv)) this.level = THRESHOLD[fromEnv];
    }
    this.initialLevel = this.level;
    const rateFromEnv = Number(env('POWERTOOLS_LOGGER_SAMPLE_RATE') || '0');
    if (Number.isNaN(rateFromEnv)) {
      throw new TypeError('Environment variable POWERTOOLS_LOGGER_SAMPLE_RATE must be a number');
    }
    const validRate = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 1;
    this.sampleRateValue = [options.sampleRateValue, rateFromEnv].find(validRate) ?? 0;
    if (this.sampleDebug() && this.level > THRESHOLD.TRACE) {
      this.setLogLevel('DEBUG');
      this.debug('Setting log level to DEBUG due to sampling rate');
    }
    this.console = lineConsole();
    this.indent = isDevMode() ? 4 : 0;
    this.jsonReplacerFn = options.jsonReplacerFn;
    // Lines written while constructing are printed once the logger is whole, as Powertools does.
    this.initialized = true;
    for (const [level, input, extra] of this.pending)
      this.printLog(level, this.createAndPopulateLogItem(level, input, extra));
  }

  /** The current level's name. */
  getLevelName(): LogLevel {
    return LEVEL_NAME.get(this.level) ?? 'INFO';
  }

  setLogLevel(logLevel: LogLevel): void {
    if (this.alcLevel !== undefined) {
      this.warnIfBelowAlc(logLevel);
      return;
    }
    if (!isLevel(logLevel)) throw new Error(`Invalid log level: ${String(logLevel)}`);
    this.level = THRESHOLD[logLevel];
  }

  trace(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.processLogItem(THRESHOLD.TRACE, input, extra);
  }
  debug(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.processLogItem(THRESHOLD.DEBUG, input, extra);
  }
  info(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.processLogItem(THRESHOLD.INFO, input, extra);
  }
  warn(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.processLogItem(THRESHOLD.WARN, input, extra);
  }
  error(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.processLogItem(THRESHOLD.ERROR, input, extra);
  }
  critical(input: LogItemMessage, ...extra: LogItemExtraInput): void {
    this.processLogItem(THRESHOLD.CRITICAL, input, extra);
  }

  /** The invocation's Lambda context on every line (`cold_start`, `function_*`). */
  addContext(context: Context | LambdaContextKeys): void {
    this.lambdaContext = {
      invokedFunctionArn: context.invokedFunctionArn,
      coldStart: this.getColdStart(),
      awsRequestId: context.awsRequestId,
      memoryLimitInMB: context.memoryLimitInMB,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      tenantId: (context as { tenantId?: string }).tenantId,
    };
  }

  /** True once, in the first invocation of an on-demand instance. */
  getColdStart(): boolean {
    if (!this.coldStart) return false;
    this.coldStart = false;
    return true;
  }

  /** Keys on every line until {@link resetKeys} (the middleware resets after each invocation). */
  appendKeys(attributes: LogAttributes): void {
    deepMerge(this.temporary, this.withoutReservedKeys(attributes));
  }

  /** Keys on every line of this logger and its children. */
  appendPersistentKeys(attributes: LogAttributes): void {
    this.persistent = deepMerge({ ...this.persistent }, this.withoutReservedKeys(attributes));
  }

  resetKeys(): void {
    this.temporary = {};
  }

  /** A logger with this one's settings, keys and context, and `options` on top. */
  createChild(options: ConstructorOptions = {}): Logger {
    const child = this.createLogger(
      deepMerge(
        {},
        {
          logLevel: this.getLevelName(),
          serviceName: this.serviceName,
          sampleRateValue: this.sampleRateValue,
          persistentKeys: this.persistent,
          jsonReplacerFn: this.jsonReplacerFn,
        },
        options,
      ),
    );
    if (this.lambdaContext) child.addContext(this.lambdaContext);
    if (Object.keys(this.temporary).length > 0) child.appendKeys({ ...this.temporary });
    return child;
  }

  /** At each invocation but the first: draw debug sampling again, or go back to the initial level. */
  refreshSampleRateCalculation(): void {
    if (this.refreshedTimes === 0) {
      this.refreshedTimes++;
      return;
    }
    if (this.sampleDebug() && this.level > THRESHOLD.TRACE) {
      this.setLogLevel('DEBUG');
      this.debug('Setting log level to DEBUG due to sampling rate');
    } else {
      this.setLogLevel(this.levelName(this.initialLevel));
    }
  }

  protected createLogger(options: ConstructorOptions): Logger {
    return new Logger(options);
  }

  protected processLogItem(logLevel: number, input: LogItemMessage, extra: LogItemExtraInput): void {
    if (logLevel < this.level) return;
    if (this.initialized) this.printLog(logLevel, this.createAndPopulateLogItem(logLevel, input, extra));
    else this.pending.push([logLevel, input, extra]);
  }

  /** The line's keys: Powertools' base keys in its order, then persistent, temporary and call keys. */
  protected createAndPopulateLogItem(
    logLevel: number,
    input: LogItemMessage,
    extra: LogItemExtraInput,
  ): LogItem {
    const context = this.lambdaContext;
    const additional: LogAttributes = {};
    for (const [key, value] of Object.entries(this.persistent))
      if (value !== undefined) additional[key] = value;
    for (const [key, value] of Object.entries(this.temporary))
      if (value !== undefined) additional[key] = value;
    let message: string;
    if (typeof input === 'string') {
      message = input;
    } else {
      const { message: m, ...rest } = input;
      message = m;
      Object.assign(additional, this.withoutReservedKeys(rest));
    }
    for (const item of extra) {
      if (item === null || item === undefined) continue;
      if (item instanceof Error) additional.error = item;
      else if (typeof item === 'string') additional.extra = item;
      else Object.assign(additional, this.withoutReservedKeys(item as LogAttributes));
    }
    const base: LogAttributes = {
      level: this.levelName(logLevel),
      message,
      timestamp: timestamp(new Date()),
      service: this.serviceName,
      cold_start: context?.coldStart,
      function_arn: context?.invokedFunctionArn,
      function_memory_size: context?.memoryLimitInMB,
      function_name: context?.functionName,
      function_request_id: context?.awsRequestId,
      sampling_rate: this.sampleRateValue,
      xray_trace_id: xRayTraceId(),
      tenant_id: context?.tenantId,
    };
    return new LogItem(deepMerge(base, additional));
  }

  /** The replacer lines are serialised with: {@link ConstructorOptions.jsonReplacerFn}, bigints, cycles. */
  protected getJsonReplacer(): (this: unknown, key: string, value: unknown) => unknown {
    const ancestors: unknown[] = [];
    const custom = this.jsonReplacerFn;
    return function (this: unknown, key: string, value: unknown): unknown {
      const replaced = custom ? custom(key, value) : value;
      if (typeof replaced === 'bigint') return replaced.toString();
      if (typeof replaced === 'object' && replaced !== null) {
        while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
        if (ancestors.includes(replaced)) return undefined;
        ancestors.push(replaced);
      }
      return replaced;
    };
  }

  private printLog(logLevel: number, item: LogItem): void {
    item.prepareForPrint();
    const line = JSON.stringify(item.getAttributes(), this.getJsonReplacer(), this.indent);
    if (logLevel >= THRESHOLD.CRITICAL) this.console.error(line);
    else if (logLevel >= THRESHOLD.ERROR) this.console.error(line);
    else if (logLevel >= THRESHOLD.WARN) this.console.warn(line);
    else if (logLevel >= THRESHOLD.INFO) this.console.info(line);
    else if (logLevel >= THRESHOLD.DEBUG) this.console.debug(line);
    else this.console.log(line);
  }

  private levelName(threshold: number): LogLevel {
    return LEVEL_NAME.get(threshold) ?? 'INFO';
  }

  private sampleDebug(): boolean {
    return this.sampleRateValue > 0 && randomInt(0, 100) / 100 <= this.sampleRateValue;
  }

  private withoutReservedKeys(attributes: LogAttributes): LogAttributes {
    const kept: LogAttributes = {};
    for (const [key, value] of Object.entries(attributes)) {
      if (RESERVED_KEYS.includes(key)) this.warn(`The key "${key}" is a reserved key and will be dropped.`);
      else kept[key] = value;
    }
    return kept;
  }

  private warnIfBelowAlc(selected: string | undefined): void {
    if (this.alcLevel === undefined || !isLevel(selected) || THRESHOLD[this.alcLevel] <= THRESHOLD[selected])
      return;
    const message = `Current log level (${selected}) does not match AWS Lambda Advanced Logging Controls minimum log level (${this.alcLevel}). This can lead to data loss, consider adjusting them.`;
    if (this.warnedOnce.has(message)) return;
    this.warnedOnce.add(message);
    this.warn(message);
  }
}

/** CloudWatch metric units (Powertools' `MetricUnit` values, in its order: its error message lists them). */
const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;
export type MetricUnit = (typeof UNITS)[number];
/** 60: standard resolution; 1: high resolution (`StorageResolution` in the document). */
export type MetricResolution = 60 | 1;
// Powertools publishes early at 100 stored metrics, or 100 values of one metric.
const MAX_METRICS = 100;

interface StoredMetric {
  readonly name: string;
  readonly unit: MetricUnit;
  value: number | number[];
  readonly resolution: MetricResolution;
}

export interface MetricsOptions {
  readonly namespace?: string;
  readonly serviceName?: string;
  /** Where the metrics' own warnings go. */
  readonly logger?: Pick<Logger, 'warn'>;
}

/** Metrics printed as one CloudWatch Embedded Metric Format document per publication. */
export class Metrics {
  private readonly namespace: string;
  private readonly service: string;
  private readonly disabled: boolean;
  private readonly log: Pick<Logger, 'warn'>;
  private readonly console: LineConsole;
  private stored = new Map<string, StoredMetric>();

  constructor(options: MetricsOptions = {}) {
    const devMode = isDevMode();
    const disabledFromEnv = booleanFromEnv('POWERTOOLS_METRICS_DISABLED');
    this.disabled = process.env.POWERTOOLS_METRICS_DISABLED !== undefined ? disabledFromEnv : devMode;
    this.namespace = options.namespace || env('POWERTOOLS_METRICS_NAMESPACE');
    this.service = options.serviceName || env('POWERTOOLS_SERVICE_NAME') || DEFAULT_SERVICE;
    this.log = options.logger ?? console;
    this.console = lineConsole();
  }

  addMetric(name: string, unit: MetricUnit, value: number, resolution: MetricResolution = 60): this {
    if (typeof name !== 'string') throw new Error(`${String(name)} is not a valid string`);
    if (name.length < 1 || name.length > 255) {
      throw new RangeError('The metric name should be between 1 and 255 characters');
    }
    if (typeof value !== 'number') throw new RangeError(`${String(value)} is not a valid number`);
    if (!(UNITS as readonly string[]).includes(unit)) {
      throw new RangeError(`Invalid metric unit '${unit}', expected either option: ${UNITS.join(',')}`);
    }
    if (resolution !== 60 && resolution !== 1) {
      throw new RangeError(`Invalid metric resolution '${String(resolution)}', expected either option: 60,1`);
    }
    if (this.stored.size >= MAX_METRICS) this.publishStoredMetrics();
    const existing = this.stored.get(name);
    if (!existing) {
      this.stored.set(name, { name, unit, value, resolution });
      return this;
    }
    if (existing.unit !== unit) {
      throw new Error(
        `Metric "${name}" has already been added with unit "${existing.unit}", but we received unit "${unit}". Did you mean to use metric unit "${existing.unit}"?`,
      );
    }
    if (existing.resolution !== resolution) {
      throw new Error(
        `Metric "${name}" has already been added with resolution "${existing.resolution}", but we received resolution "${resolution}". Did you mean to use metric resolution "${existing.resolution}"?`,
      );
    }
    existing.value = Array.isArray(existing.value) ? [...existing.value, value] : [existing.value, value];
    if (existing.value.length === MAX_METRICS) this.publishStoredMetrics();
    return this;
  }

  hasStoredMetrics(): boolean {
    return this.stored.size > 0;
  }

  /** Print the stored metrics as one EMF document (nothing when none, or when disabled) and clear them. */
  publishStoredMetrics(): this {
    const hasMetrics = this.hasStoredMetrics();
    if (!hasMetrics) {
      this.log.warn(
        'No application metrics to publish. The cold-start metric may be published if enabled. ' +
          'If application metrics should never be empty, consider using `throwOnEmptyMetrics`',
      );
    }
    try {
      if (!this.disabled) {
        const document = this.serializeMetrics();
        if (hasMetrics) this.console.log(JSON.stringify(document));
      }
    } finally {
      this.clearMetrics();
    }
    return this;
  }

  /** The EMF document of the stored metrics. */
  serializeMetrics(): Record<string, unknown> {
    const metrics = [...this.stored.values()];
    if (!this.namespace) this.log.warn('Namespace should be defined, default used');
    const values: Record<string, number | number[]> = {};
    for (const m of metrics) values[m.name] = m.value;
    if ('service' in values) {
      throw new Error(
        'EMF key collision on "service": registered as both a metric (number) and a default dimension (string)',
      );
    }
    return {
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: this.namespace || 'default_namespace',
            Dimensions: [['service']],
            Metrics: metrics.map((m) => ({
              Name: m.name,
              Unit: m.unit,
              ...(m.resolution === 1 ? { StorageResolution: 1 } : {}),
            })),
          },
        ],
      },
      service: this.service,
      ...values,
    };
  }

  clearMetrics(): void {
    this.stored = new Map();
  }
}

/** A middy middleware (the shape `@middy/core` takes). */
export interface Middleware {
  before?: (request: { context: Context }) => void;
  after?: () => void;
  onError?: () => void;
}

/** Powertools' `injectLambdaContext` with `resetKeys`: the context on every line, keys reset after. */
export function injectLambdaContext(logger: Logger): Middleware {
  const reset = (): void => logger.resetKeys();
  return {
    before: ({ context }) => {
      logger.refreshSampleRateCalculation();
      logger.addContext(context);
    },
    after: reset,
    onError: reset,
  };
}

/** Powertools' `logMetrics`: the stored metrics published after each invocation, failed or not. */
export function logMetrics(metrics: Metrics): Middleware {
  const publish = (): void => {
    metrics.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}
