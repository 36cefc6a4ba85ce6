import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

/** Run `bin/start.ts` with `args`; resolves with its exit code and output. */
function startCli(args: string[]) {
  const child = spawn(tsx, ['bin/start.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('npm start (bin/start.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hcx-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the state file when ready and stops cleanly with exit 0 on SIGTERM', async () => {
    const stateFile = join(dir, 'state.json');
    const run = startCli([
      '--memory',
      '--port',
      '0',
      '--state-file',
      stateFile,
      '--provinces',
      '330000,440000',
    ]);

    const deadline = Date.now() + 20_000;
    while (!existsSync(stateFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    const res = await fetch(`${state.exchangeUrl}/v1/nothing`);
    run.child.kill('SIGTERM');
    const code = await run.exited;

    expect(res.status).toBe(404);
    expect(code).toBe(0);
    expect(existsSync(stateFile)).toBe(false);
    expect(run.output().stdout).toContain(state.exchangeUrl);
    expect(run.output().stdout).not.toContain(state.operatorToken);
  }, 30_000);

  it('explains a bad argument in one line and exits 2, without a stack trace', async () => {
    const run = startCli(['--memory', '--provinces', '999999']);

    const code = await run.exited;

    expect(code).toBe(2);
    expect(run.output().stderr.trim().split('\n')).toHaveLength(1);
    expect(run.output().stderr).not.toMatch(/\bat .*:\d+:\d+/);
  }, 30_000);
});
