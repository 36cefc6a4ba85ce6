/**
 * The bench and soak entry points are quiet: `bench/quiet.ts`, imported first, sets
 * `HCX_LOG_SILENT` before functions/aws/observability.ts reads it. An assignment at the top of the
 * entry file itself comes too late (imports are hoisted): the control case shows that it prints.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hcx-quiet-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run a tiny entry file that logs one INFO line through the root logger; its stdout. */
function runEntry(preamble: string): string {
  const file = join(dir, `entry-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(
    file,
    `${preamble}\nimport { logger } from ${JSON.stringify(join(ROOT, 'functions/aws/observability'))};\nlogger.info('entry started');\n`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.JEST_WORKER_ID; // jest's own marker would make any child quiet
  delete env.HCX_LOG_SILENT;
  delete env.POWERTOOLS_LOG_LEVEL;
  delete env.LOG_LEVEL;
  const run = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env, encoding: 'utf8' });
  expect(run.status).toBe(0);
  return run.stdout;
}

describe('quiet bench and soak entry points', () => {
  it('an entry that imports bench/quiet first prints no log line', () => {
    expect(runEntry(`import ${JSON.stringify(join(ROOT, 'bench/quiet'))};`)).toBe('');
  });

  it('control: setting HCX_LOG_SILENT above the imports of the entry itself is too late', () => {
    expect(runEntry(`process.env.HCX_LOG_SILENT ??= 'true';`)).toContain('entry started');
  });

  it.each(['bench/run.ts', 'bench/scale.ts', 'scripts/soak.ts'])(
    '%s imports bench/quiet before anything else',
    (entry) => {
      const firstImport = readFileSync(join(ROOT, entry), 'utf8')
        .split('\n')
        .find((line) => line.startsWith('import '));
      expect(firstImport).toMatch(/^import '(\.\/|\.\.\/bench\/)quiet';/);
    },
  );
});
