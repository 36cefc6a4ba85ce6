/** The stack tests and functionEnvironments leave no `cdk.out*` folder in the system temp folder. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { functionEnvironments } from '../../lib/function-environments';
import { buildApp, defaultConfig } from './fixture';

describe('synthesis in tests', () => {
  const temp = mkdtempSync(join(tmpdir(), 'hcx-tmpdir-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('functionEnvironments removes the folder it synthesizes into', () => {
    const envs = functionEnvironments(defaultConfig(), temp);

    expect(envs.length).toBeGreaterThan(0);
    expect(readdirSync(temp)).toEqual([]);
  });

  it('the fixture synthesizes into its own hcx-cdk-* folder (removed after the file), never a cdk.out*', () => {
    const { app, stacks } = buildApp();
    Template.fromStack(stacks.exchange!);

    expect(dirname(app.outdir)).toBe(tmpdir());
    expect(basename(app.outdir)).toMatch(/^hcx-cdk-/);
    expect(readdirSync(app.outdir).length).toBeGreaterThan(0);
  });
});
