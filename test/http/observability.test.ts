import {
  LOG_OUTPUT,
  REDACTED,
  childLogger,
  errorLogAttributes,
  isSensitiveKey,
  logger,
  logReplacer,
  mapStackFrame,
  metrics,
  safeLogAttributes,
} from '../../functions/aws/observability';
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BUNDLING, NODE_OPTIONS, PROJECT_ROOT } from '../../lib/constructs/bundling';
import { AuthenticationFailed } from '../../functions/core/errors';
import { captureLogs, withCapturedLogs } from '../kit';

const ID_NUMBER = '11010519491231002X';
const CODE = 'HCX1:eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiIzMzAwMDAifQ.c2lnbmF0dXJl';

describe('redaction', () => {
  it.each([
    'name',
    'holderName',
    'idNumber',
    'id_number',
    'code',
    'token',
    'accessToken',
    'Authorization',
    'body',
  ])('treats an attribute named %s as sensitive', (key) => {
    expect(isSensitiveKey(key)).toBe(true);
  });

  it.each(['function_name', 'service', 'errorCode', 'status', 'region', 'kid', 'message'])(
    'leaves an attribute named %s alone',
    (key) => {
      expect(isSensitiveKey(key)).toBe(false);
    },
  );

  it('masks sensitive attributes at any depth', () => {
    const safe = safeLogAttributes({
      region: '330000',
      holder: { name: '张三', idNumber: ID_NUMBER, idType: '10' },
      requests: [{ token: 'abc' }],
    });
    expect(safe).toEqual({
      region: '330000',
      holder: { name: REDACTED, idNumber: REDACTED, idType: '10' },
      requests: [{ token: REDACTED }],
    });
  });

  it('masks codes, compact JWS, ID numbers and bearer tokens inside any string', () => {
    const line = JSON.stringify(
      { note: `scanned ${CODE} for ${ID_NUMBER} with Bearer abc.def` },
      logReplacer as (k: string, v: unknown) => unknown,
    );
    expect(line).not.toContain('eyJ');
    expect(line).not.toContain(ID_NUMBER);
    expect(line).not.toContain('abc.def');
  });
});

describe('logger', () => {
  it('prints nothing under jest unless a test captures', () => {
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const lines = jest.spyOn(LOG_OUTPUT, 'write').mockImplementation(() => undefined);
    try {
      logger.info('quiet by default', { region: '330000' });
      logger.error('quiet by default', { region: '330000' });
    } finally {
      out.mockRestore();
      err.mockRestore();
      lines.mockRestore();
    }
    expect(out).not.toHaveBeenCalled();
    expect(err).not.toHaveBeenCalled();
    expect(lines).not.toHaveBeenCalled();
  });

  it('logs an error passed as is without its message', async () => {
    const { logs } = await withCapturedLogs(async () =>
      logger.error('failed', new TypeError(`cannot read ${ID_NUMBER}`)),
    );
    expect(logs.text()).not.toContain(ID_NUMBER);
    expect(logs.records()[0]).toMatchObject({ error: { errorName: 'TypeError' } });
  });

  it('writes JSON lines with constant messages and structured keys', async () => {
    const { logs } = await withCapturedLogs(async () => logger.info('key published', { region: '330000' }));
    expect(logs.records()).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'key published', service: 'hcx', region: '330000' }),
    ]);
  });

  it('redacts personal data a careless caller passes', async () => {
    const { logs } = await withCapturedLogs(async () =>
      logger.warn('careless', { name: '张三', holder: { idNumber: ID_NUMBER }, detail: `code ${CODE}` }),
    );
    expect(logs.text()).not.toContain('张三');
    expect(logs.text()).not.toContain(ID_NUMBER);
    expect(logs.text()).not.toContain(CODE);
    expect(logs.records()[0]).toMatchObject({ name: REDACTED, holder: { idNumber: REDACTED } });
  });

  it('gives a child logger its service name and the same redaction', async () => {
    const child = childLogger('province-330000', { region: '330000', token: 'secret-token' });
    const { logs } = await withCapturedLogs(async () => child.debug('sync done', { code: CODE }));
    expect(logs.records()).toEqual([
      expect.objectContaining({
        service: 'province-330000',
        region: '330000',
        token: REDACTED,
        code: REDACTED,
      }),
    ]);
  });

  it('stops capturing when told to', () => {
    const logs = captureLogs();
    logger.info('captured');
    logs.stop();
    logger.info('not captured');
    expect(logs.lines).toHaveLength(1);
  });
});

describe('errorLogAttributes', () => {
  it('describes an hcx error by its code, status and private reason', () => {
    expect(errorLogAttributes(new AuthenticationFailed('STALE'))).toEqual({
      errorName: 'AuthenticationFailed',
      errorCode: 'UNAUTHORIZED',
      status: 401,
      reason: 'STALE',
    });
  });

  it('keeps an SDK error message but masks what looks like personal data in it', () => {
    const sdk = Object.assign(new Error(`Item ${ID_NUMBER} too large`), {
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400, requestId: 'R1' },
    });
    const attrs = errorLogAttributes(sdk);
    expect(attrs).toMatchObject({ errorName: 'ValidationException', sdkStatus: 400, sdkRequestId: 'R1' });
    expect(String(attrs.errorMessage)).not.toContain(ID_NUMBER);
  });

  it("never keeps a plain error's message", () => {
    const attrs = errorLogAttributes(new TypeError(`bad ${ID_NUMBER}`));
    expect(JSON.stringify(attrs)).not.toContain(ID_NUMBER);
    expect(attrs.errorName).toBe('TypeError');
  });

  describe('stack frames of a bundled function', () => {
    // A handler bundled as the stacks bundle it (lib/constructs/bundling.ts), run as Lambda runs it:
    // no `--enable-source-maps`. The error is thrown on line 3 of the entry.
    const ENTRY = [
      "import { errorLogAttributes } from './functions/aws/observability';",
      'function fails(): never {',
      "  throw new Error('boom');",
      '}',
      'try { fails(); } catch (e) { process.stdout.write(JSON.stringify(errorLogAttributes(e))); }',
    ].join('\n');
    let dir: string;
    let bundle: string;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'hcx-stack-map-'));
      bundle = path.join(dir, 'index.js');
      await build({
        stdin: { contents: ENTRY, resolveDir: PROJECT_ROOT, sourcefile: 'functions/probe.ts', loader: 'ts' },
        outfile: bundle,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        mainFields: [...BUNDLING.mainFields],
        minify: BUNDLING.minify,
        sourcemap: BUNDLING.sourceMap,
        sourcesContent: BUNDLING.sourcesContent,
        external: [...BUNDLING.externalModules],
        logLevel: 'silent',
        absWorkingDir: PROJECT_ROOT,
      });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const firstFrame = (): string => {
      const child = spawnSync(process.execPath, [bundle], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: NODE_OPTIONS },
      });
      expect(child.status).toBe(0);
      return (JSON.parse(child.stdout) as { stack: string[] }).stack[0];
    };

    it("point at the TypeScript source, read from the bundle's source map when logged", () => {
      expect(NODE_OPTIONS).not.toContain('--enable-source-maps');
      expect(firstFrame()).toMatch(/^at \S+ \(functions\/probe\.ts:3:\d+\)$/);
    });

    it('stay as they are when the bundle has no source map', () => {
      rmSync(`${bundle}.map`);
      expect(firstFrame()).toMatch(/^at \S+ \(.*index\.js:\d+:\d+\)$/);
    });
  });

  it('leaves a frame of another file as it is', () => {
    const frame = 'at Object.run (/var/runtime/index.mjs:12:34)';
    expect(mapStackFrame(frame, '/var/task/index.js')).toBe(frame);
  });
});

describe('metrics', () => {
  it('prints no EMF line under jest', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const lines = jest.spyOn(LOG_OUTPUT, 'write').mockImplementation(() => undefined);
    try {
      metrics.addMetric('codesVerified', 'Count', 1);
      metrics.publishStoredMetrics();
    } finally {
      write.mockRestore();
      lines.mockRestore();
    }
    expect(write).not.toHaveBeenCalled();
    expect(lines).not.toHaveBeenCalled();
    expect(metrics.hasStoredMetrics()).toBe(false);
  });

  it.each([
    ['emits', {}, 1],
    [
      'emits nothing with POWERTOOLS_METRICS_DISABLED=true (npm start)',
      { POWERTOOLS_METRICS_DISABLED: 'true' },
      0,
    ],
  ] as const)('in a Lambda-like process (not quiet) %s one EMF line per publication', (_what, env, lines) => {
    // prepare: a fresh process, as in Lambda: no jest, no HCX_LOG_SILENT
    const root = path.join(__dirname, '..', '..');
    const script = [
      "const { metrics } = require('./functions/aws/observability');",
      "metrics.addMetric('CodesIssued', 'Count', 1);",
      'metrics.publishStoredMetrics();',
    ].join('\n');

    // act
    const child = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: root,
      env: { PATH: process.env.PATH, POWERTOOLS_SERVICE_NAME: 'hcx-test', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const emf = child.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((o) => o._aws !== undefined);

    // assert
    expect(child.status).toBe(0);
    expect(emf).toHaveLength(lines);
    if (lines) {
      expect(emf[0]).toMatchObject({ CodesIssued: 1, service: 'hcx-test' });
      expect(JSON.stringify(emf[0]._aws)).toContain('"Namespace":"hcx"');
    }
  });

  it('stores nothing when nothing would be emitted, so counting costs nothing per request', () => {
    // act
    metrics.addMetric('codesVerified', 'Count', 1);

    // assert: not even held until the next publication
    expect(metrics.hasStoredMetrics()).toBe(false);
  });
});

describe('output of a bundled function', () => {
  // A function bundled as the stacks bundle it, run as Lambda runs it (not quiet). A preloaded script
  // records every access to `process.stdout` / `process.stderr`: Node creates those streams on first
  // access (about 1 ms of CPU at a cold start, docs/deploy.md#cold-start), so hcx prints without them.
  const ENTRY = [
    "import { writeFileSync } from 'node:fs';",
    "import { logger, metrics } from './functions/aws/observability';",
    'const seen = (globalThis as unknown as { streamsOpened: string[] }).streamsOpened;',
    'const atInit = [...seen];',
    "logger.info('probe info', { region: '330000' });",
    "logger.error('probe error', { idNumber: '11010519491231002X' });",
    "metrics.addMetric('CodesIssued', 'Count', 1);",
    'metrics.publishStoredMetrics();',
    "logger.debug('below the level');",
    'writeFileSync(process.env.PROBE_RESULT as string, JSON.stringify({ atInit, after: seen }));',
  ].join('\n');
  const WATCH = [
    'globalThis.streamsOpened = [];',
    "for (const name of ['stdout', 'stderr']) {",
    '  const d = Object.getOwnPropertyDescriptor(process, name);',
    '  Object.defineProperty(process, name, { configurable: true, enumerable: d.enumerable,',
    '    get() { globalThis.streamsOpened.push(name); return d.get.call(process); } });',
    '}',
  ].join('\n');
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'hcx-log-output-'));
    writeFileSync(path.join(dir, 'watch.js'), WATCH);
    await build({
      stdin: { contents: ENTRY, resolveDir: PROJECT_ROOT, sourcefile: 'functions/probe.ts', loader: 'ts' },
      outfile: path.join(dir, 'index.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      mainFields: [...BUNDLING.mainFields],
      minify: BUNDLING.minify,
      external: [...BUNDLING.externalModules],
      logLevel: 'silent',
      absWorkingDir: PROJECT_ROOT,
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (env: Record<string, string>) => {
    const result = path.join(dir, 'result.json');
    const child = spawnSync(
      process.execPath,
      ['--require', path.join(dir, 'watch.js'), path.join(dir, 'index.js')],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          NODE_OPTIONS,
          POWERTOOLS_SERVICE_NAME: 'hcx-probe',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          PROBE_RESULT: result,
          ...env,
        },
      },
    );
    expect(child.status).toBe(0);
    return {
      opened: JSON.parse(readFileSync(result, 'utf8')) as { atInit: string[]; after: string[] },
      stdout: child.stdout,
      stderr: child.stderr,
    };
  };
  const jsonLines = (text: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('prints the same lines on the same descriptors without opening the standard streams', () => {
    // act
    const { opened, stdout, stderr } = run({});

    // assert: not at init, not even when printing
    expect(opened).toEqual({ atInit: [], after: [] });
    expect(jsonLines(stdout)).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'probe info',
        service: 'hcx-probe',
        region: '330000',
      }),
      expect.objectContaining({ CodesIssued: 1, service: 'hcx-probe', _aws: expect.anything() }),
    ]);
    expect(jsonLines(stderr)).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'probe error', idNumber: REDACTED }),
    ]);
  });

  it("leaves POWERTOOLS_DEV to Powertools' own choice: the global console, pretty-printed", () => {
    // act
    const { opened, stdout } = run({ POWERTOOLS_DEV: 'true' });

    // assert: Node's global console opens the stream when it first prints
    expect(opened.after).toContain('stdout');
    expect(stdout).toContain('"message": "probe info"');
  });
});
