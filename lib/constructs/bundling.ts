/**
 * The esbuild settings every handler is bundled with, free of CDK imports so that
 * `bench/cold-start.ts` bundles exactly as `HcxFunction` does without loading aws-cdk-lib.
 */
import * as path from 'node:path';

/**
 * What hcx loads on first use only: third-party packages (curve arithmetic at the first SM2 or
 * Ed25519 key, fflate at the first status segment, qrcode at the first issued code, ajv-formats'
 * table at the first date-time or URI checked) and the
 * generated trust-list validators (`#trust-list-validators`, package.json `imports`: at the first
 * trust list or delta opened). The main bundle leaves them external and each import path of them
 * becomes a side bundle of its own next to `index.js` (lib/constructs/side-bundles.ts), so a cold
 * start does not parse their bytes.
 */
export const LAZY_PACKAGES: readonly string[] = [
  '@noble/curves',
  'fflate',
  'qrcode',
  'ajv-formats',
  '#trust-list-validators',
];

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
  // The Node.js 24 runtime ships AWS SDK v3: not bundling it keeps bundles small. The packages
  // loaded on first use are side bundles (LAZY_PACKAGES).
  externalModules: ['@aws-sdk/*', ...LAZY_PACKAGES],
} as const;

/**
 * `NODE_OPTIONS` of every function (what `HcxFunction` sets when not empty; the cold-start bench
 * runs with it). No `--enable-source-maps`: Node would then read and parse the bundle's source map
 * at every cold start (about 10 ms of CPU for a 200 KB bundle). The stack frames hcx logs are mapped
 * when logged instead (`mapStackFrame` in functions/aws/observability.ts), from the same map.
 */
export const NODE_OPTIONS: string = '';
