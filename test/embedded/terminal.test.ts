/**
 * What a new user sees from `npm start`: nothing but the banner and real warnings (with and
 * without --quiet), a stop that works from a process manager (SIGTERM to `npm start` itself), one
 * line and exit 2 for a special data folder, and a state file that another federation never
 * clobbers. Plus the Lambda side of the first: a function that emits no metric prints nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
/** What `npm start` runs (package.json): node with tsx's loader, no wrapper process. */
const start = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'bin/start.ts', ...args]);

/** Messages the runtime itself may log on stderr: real warnings, each about a real failure. */
const REAL_WARNINGS = new Set([
  'scheduled run failed',
  'scheduled run recovered',
  'ttl sweep failed',
  'adapter failure',
  'handler failed',
  'handler timed out',
]);

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  // no JEST_WORKER_ID: the child behaves as on a user's terminal, not as under jest
  const { JEST_WORKER_ID: _worker, ...rest } = env;
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: rest });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

async function waitFor(file: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} was not written`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** stderr lines that are not real warnings of the runtime. */
function noise(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => {
      try {
        return !REAL_WARNINGS.has((JSON.parse(l) as { message?: string }).message ?? '');
      } catch {
        return true;
      }
    });
}

describe('npm start on a terminal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hcx-terminal-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints its banner and nothing else over 10 s of syncs (every 0.5 s), and nothing at all with --quiet', async () => {
    const common = ['--memory', '--port', '0', '--sync-interval', '0.5', '--provinces', '330000,440000'];
    const loud = start([...common, '--state-file', join(dir, 'loud.json')]);
    const quiet = start([...common, '--quiet', '--state-file', join(dir, 'quiet.json')]);
    await Promise.all([waitFor(join(dir, 'loud.json')), waitFor(join(dir, 'quiet.json'))]);
    const state = JSON.parse(readFileSync(join(dir, 'loud.json'), 'utf8')) as { exchangeUrl: string };

    await sleep(10_000);
    const during = { loud: loud.output(), quiet: quiet.output() };
    loud.child.kill('SIGINT');
    quiet.child.kill('SIGINT');
    const codes = await Promise.all([loud.exited, quiet.exited]);

    const banner = during.loud.stdout.trimEnd().split('\n');
    expect(banner[0]).toMatch(/^hcx federation hcx-local-[0-9a-f]{8} is running \(in memory\)$/);
    expect(banner.at(-1)).toBe('Press Ctrl-C to stop.');
    expect(banner.filter((l) => l.includes(state.exchangeUrl))).toHaveLength(1);
    expect(banner.length).toBeLessThan(20);
    expect(noise(during.loud.stderr)).toEqual([]);
    expect(during.quiet).toEqual({ stdout: '', stderr: '' });
    expect(codes).toEqual([0, 0]);
  }, 60_000);

  it('stops the federation, exit 0, on SIGTERM to the `npm start` process itself (a process manager)', async () => {
    const stateFile = join(dir, 'npm.json');
    const npm = run('npm', ['start', '--silent', '--', '--memory', '--port', '0', '--state-file', stateFile]);
    await waitFor(stateFile);
    const { exchangeUrl } = JSON.parse(readFileSync(stateFile, 'utf8')) as { exchangeUrl: string };
    expect((await fetch(`${exchangeUrl}/v1/federation`)).status).toBe(200);

    npm.child.kill('SIGTERM');
    const code = await npm.exited;
    await sleep(500);
    const after = await fetch(`${exchangeUrl}/v1/federation`).then(
      (r) => r.status,
      (e: { cause?: { code?: string } }) => e.cause?.code,
    );

    expect(code).toBe(0);
    expect(after).toBe('ECONNREFUSED');
    expect(existsSync(stateFile)).toBe(false);
  }, 60_000);

  it.each([
    ['/proc/hcx-data', /special file system \(proc\)/],
    ['/sys/hcx-data', /special file system \(sysfs\)/],
    ['/dev/null/hcx', /is not a folder/],
  ])(
    'refuses --data %s in one line with exit 2, without spinning',
    async (data, message) => {
      const r = start(['--data', data, '--port', '0']);
      const timer = setTimeout(() => r.child.kill('SIGKILL'), 20_000);
      const code = await r.exited;
      clearTimeout(timer);

      expect(code).toBe(2);
      expect(r.output().stderr.trim().split('\n')).toHaveLength(1);
      expect(r.output().stderr).toMatch(message);
      expect(r.output().stderr).toMatch(/^hcx start: /);
    },
    30_000,
  );

  it("never overwrites nor removes another running federation's state file", async () => {
    const stateFile = join(dir, 'shared.json');
    const first = start(['--memory', '--port', '0', '--quiet', '--state-file', stateFile]);
    await waitFor(stateFile);
    const before = readFileSync(stateFile, 'utf8');

    const second = start(['--memory', '--port', '0', '--state-file', stateFile]);
    const secondCode = await second.exited;
    const untouched = readFileSync(stateFile, 'utf8');
    first.child.kill('SIGTERM');
    await first.exited;

    expect(secondCode).toBe(2);
    expect(second.output().stderr).toMatch(/belongs to a federation that is running \(process \d+\)/);
    expect(untouched).toBe(before);
    expect(typeof (JSON.parse(before) as { pid?: unknown }).pid).toBe('number');
  }, 60_000);
});

describe('a Lambda-like process (metrics on, not under jest)', () => {
  // Both chains (functions/http/handler.ts) flush metrics with Powertools' logMetrics middleware.
  const script = (emit: boolean) =>
    [
      "const { metrics } = require('./functions/aws/observability');",
      "const { httpHandler, scheduledHandler } = require('./functions/http');",
      `const emit = ${emit};`,
      "const ctx = { functionName: 'hcx-test', awsRequestId: 'r1', getRemainingTimeInMillis: () => 1000 };",
      'const http = httpHandler({}, async () => {',
      "  if (emit) metrics.addMetric('CodesVerified', 'Count', 1);",
      '  return { statusCode: 204, headers: {} };',
      '});',
      'const job = scheduledHandler(async () => {',
      "  if (emit) metrics.addMetric('SyncSucceeded', 'Count', 1);",
      '  return {};',
      '});',
      '(async () => { await http({ headers: {}, requestContext: {} }, ctx); await job({}, ctx); })();',
    ].join('\n');

  it('prints nothing when a function emits no metric (no "No application metrics to publish")', () => {
    const { JEST_WORKER_ID: _w, POWERTOOLS_METRICS_DISABLED: _d, ...env } = process.env;
    const quiet = spawnSync(tsx, ['-e', script(false)], { cwd: root, env, encoding: 'utf8' });
    const loud = spawnSync(tsx, ['-e', script(true)], { cwd: root, env, encoding: 'utf8' });

    expect([quiet.status, quiet.stdout, quiet.stderr]).toEqual([0, '', '']);
    // the check is not vacuous: each chain publishes its stored metric as one EMF line
    const lines = loud.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ CodesVerified: 1 });
    expect(lines[1]).toMatchObject({ SyncSucceeded: 1 });
    for (const line of lines) expect(line).toHaveProperty('_aws.CloudWatchMetrics');
  }, 30_000);
});
