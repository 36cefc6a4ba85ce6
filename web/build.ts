/**
 * Build the checkpoint page (/check/) and the traveller page (/wallet/) with esbuild.
 *
 * The pages bundle the shared core (functions/core) for the browser. Two modules are put in place of
 * their server versions, and nothing else differs:
 * - functions/core/signature-primitive.ts → web/core/signature-primitive.ts (WebCrypto);
 * - `node:crypto` / `node:util` → web/core/node-crypto.ts / node-util.ts (SHA-256 and scrypt from
 *   @noble/hashes, randomness from WebCrypto; no signing or key generation in a page);
 * and `Buffer` is the `buffer` package with base64url (web/core/buffer.ts).
 *
 * The configuration (federation id, pinned federation JWKS, trust-list URL) is compiled into the
 * page's script, so the key is not fetched from the network it protects. Each page's CSS is inlined
 * and allowed by its hash in the Content-Security-Policy; no page loads anything from elsewhere.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import type { PageConfig } from './shared/config';

const WEB = __dirname;
const CORE = resolve(WEB, '..', 'functions', 'core');

/** The pages: title, script and entry; each page's own markup is web/<page>/body.html. */
export const PAGES = {
  check: { title: '健康码核验 · hcx', script: 'check.js', entry: join(WEB, 'check', 'main.ts') },
  wallet: { title: '我的健康码 · hcx', script: 'wallet.js', entry: join(WEB, 'wallet', 'main.ts') },
} as const;
export type PageName = keyof typeof PAGES;

/** One file of a built page, with the headers it is served with. */
export interface PageFile {
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/** The esbuild plugin that swaps the server's primitives for the page's (see the module comment). */
export const browserCore: Plugin = {
  name: 'hcx-browser-core',
  setup(b) {
    b.onResolve({ filter: /^node:crypto$|^crypto$/ }, () => ({ path: join(WEB, 'core', 'node-crypto.ts') }));
    b.onResolve({ filter: /^node:util$|^util$/ }, () => ({ path: join(WEB, 'core', 'node-util.ts') }));
    b.onResolve({ filter: /\/signature-primitive$/ }, (args) =>
      resolve(args.resolveDir, args.path) === join(CORE, 'signature-primitive')
        ? { path: join(WEB, 'core', 'signature-primitive.ts') }
        : undefined,
    );
  },
};

/** esbuild options for running the shared core in a browser (the pages, the browser tests). */
export function browserBuildOptions(define: Record<string, string> = {}): BuildOptions {
  return {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome100', 'safari15', 'firefox100'],
    minify: true,
    legalComments: 'eof',
    write: false,
    plugins: [browserCore],
    inject: [join(WEB, 'core', 'buffer.ts')],
    define: { 'process.env.NODE_ENV': '"production"', ...define },
    logLevel: 'silent',
  };
}

const HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // The pages change with each deployment under the same names: revalidate (the service worker
  // serves them offline).
  'cache-control': 'no-cache',
};

function csp(styleHash: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'sha256-${styleHash}'`,
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * A page's HTML: the one shell (web/page.html: head, header, script tag) around the page's own
 * body (web/<page>/body.html), with the style sheet inlined (the CSP allows it by its hash).
 */
export function pageHtml(name: PageName, css: string): string {
  const page = PAGES[name];
  const body = readFileSync(join(WEB, name, 'body.html'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((line, i) => (i === 0 || line === '' ? line : `    ${line}`))
    .join('\n');
  const values: Record<string, string> = { title: page.title, script: page.script, body };
  return readFileSync(join(WEB, 'page.html'), 'utf8')
    .replace('<link rel="stylesheet" href="pages.css" />', () => `<style>${css}</style>`)
    .replace(/\{\{(title|script|body)\}\}/g, (_m, key: string) => values[key]);
}

/** Build both pages for `config`: files by URL path (`/check/`, `/check/check.js`, …). */
export async function buildPages(config: PageConfig): Promise<Map<string, PageFile>> {
  const files = new Map<string, PageFile>();
  const css = readFileSync(join(WEB, 'pages.css'), 'utf8');
  const styleHash = createHash('sha256').update(css).digest('base64');
  for (const [name, page] of Object.entries(PAGES) as [PageName, (typeof PAGES)[PageName]][]) {
    const out = await build({
      ...browserBuildOptions({ __HCX_CONFIG__: JSON.stringify(config) }),
      entryPoints: [page.entry],
      outfile: page.script,
    });
    const js = Buffer.from(out.outputFiles![0].contents);
    const html = pageHtml(name, css);
    const buildId = createHash('sha256').update(js).update(html).digest('hex').slice(0, 16);
    const sw = await build({
      ...browserBuildOptions({
        __HCX_SHELL__: JSON.stringify(['./', `./${page.script}`]),
        __HCX_BUILD__: JSON.stringify(buildId),
        __HCX_BATCHES__: JSON.stringify(config.statusBatchesUrl),
      }),
      inject: [],
      entryPoints: [join(WEB, 'sw.ts')],
      outfile: 'sw.js',
    });
    const js_ = { ...HEADERS, 'content-type': 'text/javascript; charset=utf-8' };
    files.set(`/${name}/`, {
      body: Buffer.from(html),
      headers: {
        ...HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': csp(styleHash),
        'permissions-policy': name === 'check' ? 'camera=(self)' : 'camera=()',
      },
    });
    files.set(`/${name}/${page.script}`, { body: js, headers: js_ });
    files.set(`/${name}/sw.js`, { body: Buffer.from(sw.outputFiles![0].contents), headers: js_ });
  }
  return files;
}

/** Gzipped size in KB of a built file (what the page budget counts). */
export function gzippedKB(file: PageFile): number {
  return Math.round((gzipSync(file.body, { level: 9 }).length / 1024) * 10) / 10;
}
