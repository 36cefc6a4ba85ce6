/**
 * Side bundles: what hcx loads on first use only ({@link LAZY_PACKAGES}: third-party packages and
 * the generated trust-list validators), each bundled into a file of its own next to a function's
 * `index.js`, so that their bytes are not read and pre-parsed at every cold start (about 3–4.5 ms
 * of CPU per 100 KB, even for code that never runs: docs/deploy.md#cold-start).
 *
 * How: the main bundle is built with them external (`BUNDLING.externalModules`), so it keeps
 * `require("fflate")` where the source has it, inside the module that is itself loaded on first use
 * (`require('./deflate')` in segment.ts, `import('qrcode')` in codes.ts, …). Each such import path
 * is then bundled on its own where Node's ordinary resolution finds it from `index.js`: a package
 * into `node_modules/<import path>`, a `#` import (package.json `imports`) into `lazy/<name>.js`,
 * named by a `package.json` written next to `index.js`. The Lambda asset (the `afterBundling` hook
 * of `HcxFunction`, which runs this file), the cold-start bench and the tests build the same files
 * with {@link writeSideBundles}. Source files (tsx, jest, `npm start`) and the browser pages
 * (web/build.ts bundles everything in) resolve the same import paths as usual.
 *
 * Only code without state shared with the rest goes into a side bundle (libraries, generated
 * validators), never an hcx module with state or classes: a second copy would break `instanceof`
 * and caches.
 *
 *   node --import tsx lib/constructs/side-bundles.ts <output folder>   # after esbuild --metafile
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { BUNDLING, LAZY_PACKAGES, PROJECT_ROOT } from './bundling';

/** The folder of the output the side bundles go into (Node looks there from `index.js`). */
export const SIDE_BUNDLE_DIR = 'node_modules';

/** Where the side bundles of `#` imports go. */
export const LAZY_DIR = 'lazy';

/** The package an import path belongs to: `@noble/curves/ed25519.js` → `@noble/curves`. */
function packageOf(importPath: string): string {
  const parts = importPath.split('/');
  return importPath.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * The import paths of {@link LAZY_PACKAGES} a bundle left external (read off its esbuild metafile),
 * sorted: the side bundles it needs.
 */
export function lazyImports(metafile: Metafile): string[] {
  const paths = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const i of output.imports) {
      if (i.external && LAZY_PACKAGES.includes(packageOf(i.path))) paths.add(i.path);
    }
  }
  return [...paths].sort();
}

/**
 * Where Node finds `importPath` from a file of the output folder (no package.json in node_modules,
 * so a subpath is a file path): `fflate` → `node_modules/fflate/index.js`,
 * `@noble/curves/ed25519.js` → `node_modules/@noble/curves/ed25519.js`, and a `#` import (named by
 * the output folder's package.json) `#trust-list-validators` → `lazy/trust-list-validators.js`.
 */
export function sideBundleFile(importPath: string): string {
  if (importPath.startsWith('#')) return path.join(LAZY_DIR, `${importPath.slice(1)}.js`);
  const file =
    importPath === packageOf(importPath)
      ? `${importPath}/index.js`
      : importPath.endsWith('.js')
        ? importPath
        : `${importPath}.js`;
  return path.join(SIDE_BUNDLE_DIR, ...file.split('/'));
}

/** One written side bundle. */
export interface SideBundle {
  readonly importPath: string;
  /** Path relative to the output folder. */
  readonly file: string;
  readonly bytes: number;
}

/**
 * Bundles each import path into {@link sideBundleFile} under `outDir`, with the settings of the main
 * bundle (minified CommonJS, ESM entry points first). Its exports are exactly what `require` of the
 * package gives the source files. `target`: `BUNDLING.target` for Lambda, the running Node for the
 * bench and the tests.
 */
export async function writeSideBundles(
  outDir: string,
  importPaths: readonly string[],
  target: string = BUNDLING.target,
): Promise<SideBundle[]> {
  const written: SideBundle[] = [];
  for (const importPath of importPaths) {
    const file = sideBundleFile(importPath);
    await build({
      stdin: {
        contents: `module.exports = require(${JSON.stringify(importPath)});\n`,
        resolveDir: PROJECT_ROOT,
        loader: 'js',
        sourcefile: `side-bundle:${importPath}`,
      },
      outfile: path.join(outDir, file),
      bundle: true,
      platform: 'node',
      target,
      format: 'cjs',
      minify: BUNDLING.minify,
      mainFields: [...BUNDLING.mainFields],
      logLevel: 'silent',
      absWorkingDir: PROJECT_ROOT,
    });
    written.push({ importPath, file, bytes: statSync(path.join(outDir, file)).size });
  }
  const imports = importPaths.filter((p) => p.startsWith('#'));
  if (imports.length > 0) {
    // The `imports` map Node reads from the nearest package.json (no `type`: CommonJS, as index.js),
    // added to the one already there (the bench writes every function's bundle into one folder).
    const file = path.join(outDir, 'package.json');
    const held = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as { imports?: object }).imports
      : {};
    const map = {
      ...held,
      ...Object.fromEntries(imports.map((p) => [p, `./${sideBundleFile(p).split(path.sep).join('/')}`])),
    };
    writeFileSync(file, `${JSON.stringify({ private: true, imports: map }, null, 2)}\n`);
  }
  return written;
}

/** The metafile `NodejsFunction` writes next to `index.js` when asked (`metafile: true`). */
export const METAFILE = 'index.meta.json';

/**
 * The `afterBundling` step of `HcxFunction`: the side bundles `index.js` needs, from the metafile
 * esbuild wrote into `outDir`, which is then removed (it is not part of the function's code).
 */
export async function completeAsset(outDir: string): Promise<SideBundle[]> {
  const metafilePath = path.join(outDir, METAFILE);
  const metafile = JSON.parse(readFileSync(metafilePath, 'utf8')) as Metafile;
  const written = await writeSideBundles(outDir, lazyImports(metafile));
  rmSync(metafilePath);
  return written;
}

/** `value` quoted for a POSIX shell. */
const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * The shell command of `HcxFunction`'s `afterBundling` hook: this file, run with tsx from the
 * repository root (the hook's working folder), on the function's output folder.
 */
export function sideBundlesCommand(outputDir: string): string {
  return [
    process.execPath,
    '--import',
    'tsx',
    path.join(PROJECT_ROOT, 'lib', 'constructs', 'side-bundles.ts'),
    outputDir,
  ]
    .map(quote)
    .join(' ');
}

if (require.main === module) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error('usage: node --import tsx lib/constructs/side-bundles.ts <output folder>');
    process.exit(2);
  }
  completeAsset(path.resolve(outDir)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
