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
  // Stack traces need the mappings, not the sources: a map a quarter the size, parsed faster at init.
  sourcesContent: false,
  target: 'node24',
  format: 'cjs',
  // ESM builds first: esbuild tree-shakes them (Powertools, middy), and CommonJS builds cannot be.
  mainFields: ['module', 'main'],
  // The Node.js 24 runtime ships AWS SDK v3: not bundling it keeps bundles small.
  externalModules: ['@aws-sdk/*'],
} as const;

/**
 * `NODE_OPTIONS` of every function (what `HcxFunction` sets; the cold-start bench runs with it).
 * `--enable-source-maps` maps stack traces at run time, at a cold-start price that
 * `bench/cold-start.ts` reports in its "no maps" column.
 */
export const NODE_OPTIONS = '--enable-source-maps';
