/**
 * scripts/gen-validators.ts: the checked-in validators.gen.ts is what the schemas compile to,
 * `--check` fails loudly when it is not, and the generated code needs no schema compiler at run time.
 */
import { spawnSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCHEMA_IDS } from '../../functions/core/schemas/validators';
import { generate } from '../../scripts/gen-validators';

const ROOT = path.join(__dirname, '..', '..');
const GENERATED = path.join(ROOT, 'functions', 'core', 'schemas', 'validators.gen.ts');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

describe('gen-validators', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hcx-gen-validators-'));
  });
  afterAll(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('the checked-in validators.gen.ts is what schemas/ compiles to', () => {
    expect(fs.readFileSync(GENERATED, 'utf8') === generate()).toBe(true);
  });

  it('--check exits 1 naming the command that fixes a stale file', () => {
    // Prepare
    const copy = path.join(scratch, 'validators.gen.ts');
    fs.writeFileSync(copy, fs.readFileSync(GENERATED, 'utf8').replace('"hcx2"', '"hcx3"'));

    // Act
    const r = spawnSync(TSX, ['scripts/gen-validators.ts', '--check', '--out', copy], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });

    // Assert
    expect(r.status).toBe(1);
    expect(`${r.stdout}${r.stderr}`).toContain('check:validators failed');
    expect(`${r.stdout}${r.stderr}`).toContain('npm run build:validators');
  });

  it('exports one validator per schema id and requires only Ajv runtime helpers and formats.ts', () => {
    // Act
    const text = fs.readFileSync(GENERATED, 'utf8');
    const exported = [...text.matchAll(/^export const (\w+) = validate\d+;$/gm)].map((m) => m[1]);
    const required = new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));

    // Assert
    expect(exported.sort()).toEqual(Object.keys(SCHEMA_IDS).sort());
    for (const module of required) expect(module).toMatch(/^(ajv\/dist\/runtime\/\w+|\.\/formats)$/);
  });

  it('lets a bundle keep only the validators it imports (and those they reference)', () => {
    // Prepare: markers that only the signed-request, trust-list and registration schemas hold
    const bundle = (source: string): string =>
      buildSync({
        stdin: { contents: source, resolveDir: ROOT, loader: 'ts' },
        bundle: true,
        write: false,
        platform: 'node',
        format: 'cjs',
        minify: true,
        mainFields: ['module', 'main'],
        logLevel: 'silent',
      }).outputFiles[0].text;
    const markers = (text: string) =>
      ['key.publish', 'logHead', 'enrollmentKey'].filter((m) => text.includes(m));

    // Act
    const one = bundle(
      "import { isVerificationRequest } from './functions/core/schemas/validators'; export const v = isVerificationRequest;",
    );
    const all = bundle("export * from './functions/core/schemas/validators-by-id';");

    // Assert
    expect(markers(one)).toEqual([]);
    expect(markers(all)).toEqual(['key.publish', 'logHead', 'enrollmentKey']);
    expect(one.length).toBeLessThan(all.length / 4);
  });
});
