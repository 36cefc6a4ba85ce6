/**
 * Side bundles (lib/constructs/side-bundles.ts): the packages hcx loads on first use are not in any
 * function's `index.js` but in files of their own next to it, which the deployed asset holds and a
 * bundled function loads when it first needs them, not at cold start.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { build, type BuildOptions } from 'esbuild';
import { handlerEntry, ROUTES, SCHEDULED } from '../../functions/routes';
import { BUNDLING, LAZY_PACKAGES, NODE_OPTIONS, PROJECT_ROOT } from '../../lib/constructs/bundling';
import { HcxFunction } from '../../lib/constructs/hcx-function';
import { lazyImports, METAFILE, sideBundleFile, writeSideBundles } from '../../lib/constructs/side-bundles';

const TARGET = `node${process.versions.node.split('.')[0]}`;

/** What `NodejsFunction` runs, as options of esbuild's API. */
const mainOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: TARGET,
  format: 'cjs',
  minify: BUNDLING.minify,
  mainFields: [...BUNDLING.mainFields],
  external: [...BUNDLING.externalModules],
  metafile: true,
  logLevel: 'silent',
  absWorkingDir: PROJECT_ROOT,
};

// A lazy package's files inside a bundle, as esbuild's metafile names its inputs (a `#` import: the
// file package.json maps it to).
const packageJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  imports: Record<string, string>;
};
const packageInput = (pkg: string) =>
  pkg.startsWith('#')
    ? new RegExp(`^${packageJson.imports[pkg].slice(2).replace(/[.]/g, '\\.')}$`)
    : new RegExp(`(^|/)node_modules/${pkg.replace('/', '\\/')}/`);

const dirs: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('side bundles', () => {
  it("leave every lazy package out of every function's bundle, which imports each from its side bundle", async () => {
    // prepare: every handler, bundled in one esbuild run
    const handlers = new Map([...ROUTES, ...SCHEDULED].map((h) => [h.fn, handlerEntry(h)]));
    const outdir = tempDir('hcx-side-all-');

    // act
    const { metafile = { inputs: {}, outputs: {} } } = await build({
      ...mainOptions,
      entryPoints: Object.fromEntries(
        [...handlers].map(([fn, entry]) => [fn, path.join(PROJECT_ROOT, entry)]),
      ),
      outdir,
      write: false,
    });

    // assert
    const outputs = Object.entries(metafile.outputs);
    expect(outputs).toHaveLength(handlers.size);
    for (const [, output] of outputs) {
      for (const input of Object.keys(output.inputs)) {
        for (const pkg of LAZY_PACKAGES) expect(input).not.toMatch(packageInput(pkg));
      }
    }
    const lazyOf = (fn: string): string[] => {
      const output = outputs.find(([file]) => file.endsWith(`/${fn}.js`))![1];
      return lazyImports({ inputs: {}, outputs: { [fn]: output } });
    };
    expect(lazyOf('province-issue')).toEqual([
      '@noble/curves/abstract/weierstrass.js',
      '@noble/curves/ed25519.js',
      'ajv-formats/dist/formats',
      'fflate',
      'qrcode',
    ]);
    expect(lazyOf('province-registry')).toContain('#trust-list-validators');
    expect(lazyOf('province-sync')).toContain('#trust-list-validators');
  });

  it('are where Node resolves them from index.js', () => {
    expect(sideBundleFile('fflate')).toBe(path.join('node_modules', 'fflate', 'index.js'));
    expect(sideBundleFile('@noble/curves/ed25519.js')).toBe(
      path.join('node_modules', '@noble', 'curves', 'ed25519.js'),
    );
    expect(sideBundleFile('pkg/sub')).toBe(path.join('node_modules', 'pkg', 'sub.js'));
    expect(sideBundleFile('#trust-list-validators')).toBe(path.join('lazy', 'trust-list-validators.js'));
  });

  it('are in the asset of a synthesized function, and its metafile is not', () => {
    // prepare: two functions, bundled as `cdk synth` bundles them (the afterBundling hook included)
    const app = new App({ outdir: tempDir('hcx-side-cdk-') });
    const stack = new Stack(app, 'Probe');
    for (const fn of ['province-issue', 'province-registry']) {
      new HcxFunction(stack, fn, {
        service: 'province',
        fn,
        logRetention: RetentionDays.ONE_DAY,
        environment: {},
      });
    }

    // act
    const assembly = app.synth();

    // assert
    const assets = readdirSync(assembly.directory)
      .filter((d) => d.startsWith('asset.'))
      .map((d) => path.join(assembly.directory, d));
    expect(assets).toHaveLength(2);
    const found = new Set<string>();
    for (const asset of assets) {
      const index = readFileSync(path.join(asset, 'index.js'), 'utf8');
      const loads = [...index.matchAll(/\b(?:require|import)\("([^"]+)"\)/g)]
        .map((m) => m[1])
        .filter((importPath) =>
          LAZY_PACKAGES.some((p) => importPath === p || importPath.startsWith(`${p}/`)),
        );
      for (const importPath of loads) found.add(importPath);
      expect(loads.filter((importPath) => !existsSync(path.join(asset, sideBundleFile(importPath))))).toEqual(
        [],
      );
      expect(existsSync(path.join(asset, METAFILE))).toBe(false);
      if (loads.includes('#trust-list-validators')) {
        expect(JSON.parse(readFileSync(path.join(asset, 'package.json'), 'utf8'))).toEqual({
          private: true,
          imports: { '#trust-list-validators': './lazy/trust-list-validators.js' },
        });
      }
    }
    expect([...found].sort()).toEqual([
      '#trust-list-validators',
      '@noble/curves/abstract/weierstrass.js',
      '@noble/curves/ed25519.js',
      'ajv-formats/dist/formats',
      'fflate',
      'qrcode',
    ]);
  });

  describe('in a bundled function', () => {
    // Loads the shared core as a handler does, then meets an Ed25519 key, an SM2 key, a status
    // segment, a trust-list delta, a date-time and a QR code (each for the first time), and says which side
    // bundles each step loaded.
    const ENTRY = [
      "import { acceptPublicKey, generateSigningKey } from './functions/core/keys';",
      "import { encodeSegment, packSegment, readSegmentBits, SegmentSet } from './functions/core/status/segment';",
      "import { applyDelta } from './functions/core/trustlist/trust-list';",
      "import { formats } from './functions/core/schemas/formats';",
      'const seen = new Set();',
      'const fresh = () => Object.keys(require.cache).filter((f) => f !== __filename && !seen.has(f) && seen.add(f)).map((f) => f.slice(__dirname.length + 1)).sort();',
      'const reasonOf = (jwk) => acceptPublicKey(jwk).then(() => "ACCEPTED", (e) => e.reason);',
      '(async () => {',
      '  const steps = { init: fresh() };',
      "  const ed = await generateSigningKey('EdDSA');",
      "  steps.ed25519 = { good: await reasonOf(ed.publicJwk), smallOrder: await reasonOf({ kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32).toString('base64url') }), loaded: fresh() };",
      "  const sm = await generateSigningKey('SM2');",
      "  const zero = Buffer.alloc(32).toString('base64url');",
      "  steps.sm2 = { good: await reasonOf(sm.publicJwk), offCurve: await reasonOf({ kty: 'EC', crv: 'SM2', x: zero, y: zero }), loaded: fresh() };",
      '  const { set } = readSegmentBits(packSegment(encodeSegment(SegmentSet.fromSorted(Uint32Array.of(3, 70000)))));',
      '  steps.segment = { count: set.count, loaded: fresh() };',
      '  let reason;',
      "  try { applyDelta({}, { federation: 'hcx' }, { now: 0 }); } catch (e) { reason = e.reason; }",
      '  steps.delta = { reason, loaded: fresh() };',
      "  steps.formats = { dateTime: [formats['date-time'].validate('2026-11-30T12:00:00Z'), formats['date-time'].validate('2026-11-30')], uri: formats['uri-reference'].validate('/v1/codes'), loaded: fresh() };",
      "  const { default: QRCode } = await import('qrcode');",
      "  const svg = await QRCode.toString('HC1:0123', { type: 'svg' });",
      "  steps.qrcode = { svg: svg.startsWith('<svg'), loaded: fresh() };",
      '  process.stdout.write(JSON.stringify(steps));',
      '})();',
    ].join('\n');
    let steps: Record<string, unknown> & { init: string[] };
    beforeAll(async () => {
      const dir = tempDir('hcx-side-run-');
      const { metafile = { inputs: {}, outputs: {} } } = await build({
        ...mainOptions,
        stdin: { contents: ENTRY, resolveDir: PROJECT_ROOT, sourcefile: 'functions/probe.ts', loader: 'ts' },
        outfile: path.join(dir, 'index.js'),
      });
      await writeSideBundles(dir, lazyImports(metafile), TARGET);
      // No NODE_PATH: a side bundle missing from the folder cannot be found in the repository's node_modules.
      const child = spawnSync(process.execPath, [path.join(dir, 'index.js')], {
        encoding: 'utf8',
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', NODE_OPTIONS },
      });
      expect(child.stderr).toBe('');
      steps = JSON.parse(child.stdout);
    });

    const side = (importPath: string): string => sideBundleFile(importPath).split(path.sep).join('/');

    it('loads none of them at cold start', () => {
      expect(steps.init).toEqual([]);
    });

    it('loads each at its first use, from the folder of index.js, and it works as the source does', () => {
      expect(steps.ed25519).toEqual({
        good: 'ACCEPTED',
        smallOrder: 'SMALL_ORDER',
        loaded: [side('@noble/curves/ed25519.js')],
      });
      expect(steps.sm2).toEqual({
        good: 'ACCEPTED',
        offCurve: 'NOT_ON_CURVE',
        loaded: [side('@noble/curves/abstract/weierstrass.js')],
      });
      expect(steps.segment).toEqual({ count: 2, loaded: [side('fflate')] });
      expect(steps.delta).toEqual({ reason: 'SCHEMA_INVALID', loaded: [side('#trust-list-validators')] });
      expect(steps.formats).toEqual({
        dateTime: [true, false],
        uri: true,
        loaded: [side('ajv-formats/dist/formats')],
      });
      expect(steps.qrcode).toEqual({ svg: true, loaded: [side('qrcode')] });
    });
  });
});
