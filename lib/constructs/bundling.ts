/**
 * The esbuild settings every handler is bundled with, free of CDK imports so that
 * `bench/cold-start.ts` bundles exactly as `HcxFunction` does without loading aws-cdk-lib.
 */
import * as path from 'node:path';

/** The repository root: handlers live under `functions/`, the lock file next to `package.json`. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export const BUNDLING = {
  minify: true,
  sourceMap: true,
  target: 'node24',
  format: 'cjs',
  // The Node.js 24 runtime ships AWS SDK v3: not bundling it keeps bundles small.
  externalModules: ['@aws-sdk/*'],
} as const;
