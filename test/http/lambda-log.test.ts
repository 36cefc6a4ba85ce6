/**
 * functions/aws/lambda-log.ts prints the lines Powertools for AWS Lambda printed (issue 13, cold
 * start): each case makes the same calls on Powertools' Logger or Metrics (a development dependency,
 * pinned to the version hcx used) and on lambda-log's, under the same environment and clock, and
 * expects the same lines on the same descriptors, byte for byte.
 */
import { Logger as PtLogger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext as ptInjectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics as PtMetrics } from '@aws-lambda-powertools/metrics';
import { logMetrics as ptLogMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import {
  injectLambdaContext,
  LOG_OUTPUT,
  Logger,
  logMetrics,
  Metrics,
  type ConstructorOptions,
} from '../../functions/aws/lambda-log';
import { logReplacer } from '../../functions/aws/observability';
import { lambdaContext } from '../kit';

type Printed = [fd: 1 | 2, line: string];
type PtOptions = NonNullable<ConstructorParameters<typeof PtLogger>[0]>;

/** Powertools' classes printing into `out` (its constructors would build a Console over the real streams). */
function powertools(out: Printed[]) {
  const capture = {
    log: (l: string) => out.push([1, l]),
    info: (l: string) => out.push([1, l]),
    debug: (l: string) => out.push([1, l]),
    trace: (l: string) => out.push([1, l]),
    warn: (l: string) => out.push([2, l]),
    error: (l: string) => out.push([2, l]),
  };
  class CapturedLogger extends PtLogger {
    protected override createLogger(options?: PtOptions): PtLogger {
      return new CapturedLogger(options);
    }
  }
  class CapturedMetrics extends PtMetrics {}
  for (const cls of [CapturedLogger, CapturedMetrics]) {
    Object.defineProperty(cls.prototype, 'setConsole', {
      value(this: { console: unknown }) {
        this.console = capture;
      },
    });
  }
  return { Logger: CapturedLogger, Metrics: CapturedMetrics };
}

const ENV_KEYS = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_LOG_LEVEL',
  'LOG_LEVEL',
  'AWS_LAMBDA_LOG_LEVEL',
  'POWERTOOLS_LOGGER_SAMPLE_RATE',
  'POWERTOOLS_DEV',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_METRICS_DISABLED',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'TZ',
  '_X_AMZN_TRACE_ID',
];

/**
 * What `run` printed through Powertools and through lambda-log, each under `env` and a clock set
 * to the same instant.
 */
async function bothPrint(
  env: Record<string, string>,
  run: (kit: {
    Logger: new (o?: ConstructorOptions) => Logger | PtLogger;
    Metrics: new (o?: ConstructorParameters<typeof Metrics>[0]) => Metrics | PtMetrics;
    injectLambdaContext: (l: never) => MiddlewareObj;
    logMetrics: (m: never) => MiddlewareObj;
  }) => Promise<void> | void,
): Promise<{ powertools: Printed[]; ours: Printed[] }> {
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  const ours: Printed[] = [];
  const theirs: Printed[] = [];
  const write = jest.spyOn(LOG_OUTPUT, 'write').mockImplementation((fd, line) => {
    ours.push([fd, line]);
  });
  jest.useFakeTimers({ now: new Date('2026-11-30T09:41:07.123Z'), doNotFake: ['nextTick', 'setImmediate'] });
  try {
    for (const k of ENV_KEYS) delete process.env[k];
    Object.assign(process.env, env);
    const pt = powertools(theirs);
    await run({
      Logger: pt.Logger as never,
      Metrics: pt.Metrics as never,
      injectLambdaContext: ((l: PtLogger) => ptInjectLambdaContext(l, { resetKeys: true })) as never,
      logMetrics: ((m: PtMetrics) => ptLogMetrics(m)) as never,
    });
    await run({
      Logger: Logger as never,
      Metrics: Metrics as never,
      injectLambdaContext: injectLambdaContext as never,
      logMetrics: logMetrics as never,
    });
  } finally {
    jest.useRealTimers();
    write.mockRestore();
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
  return { powertools: theirs, ours };
}

const replacer = logReplacer as ConstructorOptions['jsonReplacerFn'];
const context = (requestId: string): Context => ({ ...lambdaContext(), awsRequestId: requestId });

describe('lambda-log prints what Powertools printed', () => {
  it('logs at each level with attributes, errors, extra strings and values left out', async () => {
    const failure = new TypeError('cannot read 11010519491231002X'); // one stack for both runs
    const { powertools, ours } = await bothPrint(
      { POWERTOOLS_SERVICE_NAME: 'hcx-exchange' },
      ({ Logger }) => {
        const log = new Logger({ logLevel: 'DEBUG', jsonReplacerFn: replacer });
        log.info('key published', { region: '330000', nested: { a: [1, { b: 2 }], c: undefined } });
        log.debug('debug line', 'an extra string');
        log.warn('careless', { name: '张三', empty: '', none: null, big: 10n });
        log.error('failed', failure);
        log.error({ message: 'as an object', region: '110000' });
        log.trace('below the level');
        log.critical('critical line');
      },
    );
    expect(powertools.length).toBe(6);
    expect(ours).toEqual(powertools);
  });

  it('drops reserved keys with a warning, and circular references', async () => {
    const { powertools, ours } = await bothPrint({}, ({ Logger }) => {
      const log = new Logger({ serviceName: 'hcx', jsonReplacerFn: replacer });
      const loop: Record<string, unknown> = { kid: 'k1' };
      loop.self = loop;
      log.info('reserved', { level: 'x', service: 'y', loop });
    });
    expect(powertools.length).toBe(3);
    expect(ours).toEqual(powertools);
  });

  it('adds the Lambda context, the cold start once, the X-Ray trace and the TZ offset', async () => {
    const { powertools, ours } = await bothPrint(
      {
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
        TZ: 'Asia/Shanghai',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      ({ Logger }) => {
        const log = new Logger({ serviceName: 'hcx-province', jsonReplacerFn: replacer });
        log.addContext(context('r1'));
        log.info('first');
        log.addContext(context('r2'));
        log.info('second');
      },
    );
    expect(powertools.length).toBe(2);
    expect(ours).toEqual(powertools);
  });

  it('gives child loggers the parent settings, persistent keys and context', async () => {
    const { powertools, ours } = await bothPrint({ POWERTOOLS_LOG_LEVEL: 'WARN' }, ({ Logger }) => {
      const log = new Logger({
        serviceName: 'hcx',
        persistentKeys: { deployment: 'cn' },
        jsonReplacerFn: replacer,
      });
      log.addContext(context('r1'));
      log.appendKeys({ step: 1 });
      const child = log.createChild({ serviceName: 'province-330000', persistentKeys: { region: '330000' } });
      child.warn('child line', { token: 'secret-token' });
      child.info('below the inherited level');
      log.resetKeys();
      log.warn('after reset');
    });
    expect(powertools.length).toBe(2);
    expect(ours).toEqual(powertools);
  });

  it("follows AWS Lambda's log-level control and debug sampling", async () => {
    const alc = await bothPrint({ AWS_LAMBDA_LOG_LEVEL: 'WARN' }, ({ Logger }) => {
      const log = new Logger({ logLevel: 'INFO', jsonReplacerFn: replacer });
      log.info('hidden by the control');
      log.warn('shown');
    });
    expect(alc.powertools.length).toBe(2);
    expect(alc.ours).toEqual(alc.powertools);
    const sampled = await bothPrint({ POWERTOOLS_LOGGER_SAMPLE_RATE: '1' }, ({ Logger }) => {
      const log = new Logger({ logLevel: 'INFO', jsonReplacerFn: replacer });
      log.debug('sampled in');
    });
    expect(sampled.powertools.length).toBe(2);
    expect(sampled.ours).toEqual(sampled.powertools);
  });

  it('emits the same EMF documents, and nothing when disabled', async () => {
    const { powertools, ours } = await bothPrint(
      { POWERTOOLS_SERVICE_NAME: 'hcx-test' },
      ({ Metrics, Logger }) => {
        const log = new Logger({ jsonReplacerFn: replacer });
        const metrics = new Metrics({ namespace: 'hcx', serviceName: 'hcx-province', logger: log as never });
        metrics.addMetric('CodesIssued', 'Count', 1);
        metrics.addMetric('CodesIssued', 'Count', 2);
        metrics.addMetric('ReplicaAge', 'Seconds', 42);
        metrics.addMetric('Fast', 'Milliseconds', 3, 1);
        metrics.publishStoredMetrics();
        metrics.publishStoredMetrics();
        const unnamed = new Metrics({ logger: log as never });
        unnamed.addMetric('SyncFailed', 'Count', 1);
        unnamed.publishStoredMetrics();
      },
    );
    expect(powertools.length).toBe(4);
    expect(ours).toEqual(powertools);
    const off = await bothPrint({ POWERTOOLS_METRICS_DISABLED: 'true' }, ({ Metrics }) => {
      const metrics = new Metrics({ namespace: 'hcx', logger: { warn: () => undefined } as never });
      metrics.addMetric('CodesIssued', 'Count', 1);
      metrics.publishStoredMetrics();
    });
    expect(off.powertools).toEqual([]);
    expect(off.ours).toEqual([]);
  });

  it('through the middy middlewares, over two invocations', async () => {
    const { powertools, ours } = await bothPrint(
      { AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' },
      async ({ Logger, Metrics, injectLambdaContext, logMetrics }) => {
        const log = new Logger({ serviceName: 'hcx', jsonReplacerFn: replacer });
        const metrics = new Metrics({ namespace: 'hcx', serviceName: 'hcx', logger: log as never });
        const handler = middy(async (event: { fail?: boolean }) => {
          log.appendKeys({ fail: event.fail === true });
          log.info('handling');
          metrics.addMetric('Handled', 'Count', 1);
          if (event.fail) throw new Error('boom');
          return 'ok';
        })
          .use(logMetrics(metrics as never))
          .use(injectLambdaContext(log as never));
        await handler({}, context('r1'));
        await expect(handler({ fail: true }, context('r2'))).rejects.toThrow('boom');
        log.info('between invocations');
      },
    );
    expect(powertools.length).toBe(5);
    expect(ours).toEqual(powertools);
  });

  it('rejects what Powertools rejects, with the same messages', () => {
    const refusals = (metrics: Metrics | PtMetrics): string[] => {
      metrics.addMetric('Codes', 'Count', 1);
      return [
        () => metrics.addMetric('Codes', 'Seconds', 1),
        () => metrics.addMetric('', 'Count', 1),
        () => metrics.addMetric('Other', 'Furlongs' as never, 1),
        () => metrics.addMetric('Other', 'Count', Number('x') as never, 7 as never),
      ].map((f) => {
        try {
          f();
          return 'accepted';
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      });
    };
    const ours = refusals(new Metrics({ namespace: 'hcx' }));
    expect(ours).toEqual(refusals(new PtMetrics({ namespace: 'hcx' })));
    expect(ours[0]).toMatch(/^Error: Metric "Codes" has already been added with unit "Count"/);
  });
});
