/**
 * `npm run lint:cfn`: synthesizes every stack of the shipped China configuration
 * (`federation.config.json`) and of the global example (`federation.global.example.json`) and runs
 * cfn-lint on each template for its stack's own region (`-r`), so a resource type or property that
 * region does not have fails here, not in a rollback. Where cfn-lint is not installed it says so in
 * one line and skips (exit 0); any cfn-lint error fails (exit 1). Asset bundling is off: cfn-lint
 * reads the templates, not the code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { loadFederationConfig } from '../lib/config/federation-config';
import { addHcxStacks } from '../lib/hcx-app';

const ROOT = path.resolve(__dirname, '..');
export const CONFIGS = ['federation.config.json', 'federation.global.example.json'];

/** One synthesized template and the region its stack deploys to. */
export interface LintTarget {
  readonly config: string;
  readonly stack: string;
  readonly region: string;
  readonly template: string;
}

/** Synthesizes every stack of each configuration under `outdir`. */
export function synthesizeTargets(outdir: string): LintTarget[] {
  return CONFIGS.flatMap((file, i) => {
    const app = new App({
      outdir: path.join(outdir, String(i)),
      context: { [BUNDLING_STACKS]: [] },
      builtinCloudFormationValidation: false,
    });
    addHcxStacks(app, loadFederationConfig(path.join(ROOT, file)));
    return app.synth().stacks.map((s) => ({
      config: file,
      stack: s.stackName,
      region: s.environment.region,
      template: s.templateFullPath,
    }));
  });
}

function main(): number {
  const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    console.log('cfn-lint is not installed: skipping the CloudFormation lint of the synthesized templates');
    return 0;
  }
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'hcx-cfn-lint-'));
  try {
    const targets = synthesizeTargets(outdir);
    // One cfn-lint process per region (its start-up is most of the time), templates by file.
    const regions = [...new Set(targets.map((t) => t.region))];
    const findings = new Map<string, string[]>();
    for (const region of regions) {
      const files = targets.filter((t) => t.region === region).map((t) => t.template);
      const run = spawnSync('cfn-lint', ['-r', region, '--format', 'parseable', '--', ...files], {
        encoding: 'utf8',
      });
      // Exit bits: 2 errors, 4 warnings, 8 informational; anything else is a crash.
      if (run.status === null || run.status > 14) {
        console.log(`cfn-lint failed to run for ${region}: ${run.stderr.trim() || run.error}`);
        return 1;
      }
      for (const line of run.stdout.split('\n').filter(Boolean)) {
        const file = files.find((f) => line.startsWith(`${f}:`));
        if (file) findings.set(file, [...(findings.get(file) ?? []), line.slice(file.length + 1)]);
      }
    }
    let failed = 0;
    for (const t of targets) {
      const lines = findings.get(t.template) ?? [];
      // parseable: line:col:endLine:endCol:RULE:message; rules E… are errors.
      const errors = lines.filter((l) => /^\d+:\d+:\d+:\d+:E/.test(l));
      const others = lines.length - errors.length;
      if (errors.length > 0) failed++;
      console.log(
        `${errors.length > 0 ? 'FAIL' : 'ok  '} ${t.stack} (${t.region}) from ${t.config}: ` +
          `${errors.length} errors, ${others} warnings`,
      );
      for (const e of errors) console.log(`     ${e}`);
    }
    console.log(
      `${version.stdout.trim()}: ${targets.length - failed} of ${targets.length} templates without errors`,
    );
    return failed === 0 ? 0 : 1;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (require.main === module) process.exitCode = main();
