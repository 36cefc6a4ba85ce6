/**
 * `npm start`'s issuance format: `--code-format`, else `HCX_CODE_FORMAT` (tools that start the
 * runtime inherit the environment and cannot pass flags), else HCX2; an unknown format is a one-line
 * usage error (exit 2) naming where it came from. The HCX1 federation itself is exercised in
 * test/province/hcx1-issuance.e2e.test.ts.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CODE_FORMAT_ENV, codeFormatOption, summary } from '../../bin/start';
import { thrown } from '../kit';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

describe('npm start --code-format / HCX_CODE_FORMAT', () => {
  it('takes the flag, else the environment variable, else HCX2', () => {
    expect(CODE_FORMAT_ENV).toBe('HCX_CODE_FORMAT');
    expect(codeFormatOption(undefined, {})).toBe('HCX2');
    expect(codeFormatOption(undefined, { HCX_CODE_FORMAT: '' })).toBe('HCX2');
    expect(codeFormatOption(undefined, { HCX_CODE_FORMAT: 'HCX1' })).toBe('HCX1');
    expect(codeFormatOption('HCX1', {})).toBe('HCX1');
    expect(codeFormatOption('HCX2', { HCX_CODE_FORMAT: 'HCX1' })).toBe('HCX2');
  });

  it('names the flag or the variable an unknown format came from', () => {
    expect((thrown(() => codeFormatOption('HCX3', {})) as Error).message).toBe(
      '--code-format must be one of HCX2, HCX1, not "HCX3"',
    );
    expect((thrown(() => codeFormatOption(undefined, { HCX_CODE_FORMAT: 'hcx1' })) as Error).message).toBe(
      'HCX_CODE_FORMAT must be one of HCX2, HCX1, not "hcx1"',
    );
  });

  it('says in the banner that the provinces issue HCX1, and says nothing for HCX2', () => {
    const federation = {
      state: { federationId: 'f', exchangeUrl: 'http://x', provinces: [] },
      stateFile: '/tmp/s.json',
    } as unknown as Parameters<typeof summary>[0];
    expect(summary(federation, { memory: true, codeFormat: 'HCX1' }).join('\n')).toMatch(/code format +HCX1/);
    expect(summary(federation, { memory: true, codeFormat: 'HCX2' }).join('\n')).not.toMatch(/code format/);
  });

  it('refuses HCX_CODE_FORMAT=HCX3 in one line with exit 2, before starting anything', async () => {
    const child = spawn(tsx, ['bin/start.ts', '--memory', '--port', '0'], {
      cwd: root,
      env: { ...process.env, HCX_CODE_FORMAT: 'HCX3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));

    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

    expect(code).toBe(2);
    expect(stderr.trim()).toBe('hcx start: HCX_CODE_FORMAT must be one of HCX2, HCX1, not "HCX3"');
  }, 30_000);
});
