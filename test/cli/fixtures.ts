/** Shared fixtures for the CLI tests: a federation key, a signed trust list on disk, a code, a temp folder. */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { issueCode } from '../../functions/core/code/issue';
import { signCompactJws } from '../../functions/core/jws/sign';
import { generateSigningKey } from '../../functions/core/keys';
import { TRUST_LIST_PROFILE } from '../../functions/core/profiles';
import { LocalKeySigner } from '../../functions/core/signer';
import { GD, issueRequest, province, trustList, ZJ, type TestProvince } from '../core/fixtures';

export { GD, ZJ };
export { ID_NUMBER } from '../kit/domain';

/** A temporary folder, removed by `cleanup()`. */
export function tempDir(): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hcx-cli-'));
  return {
    dir,
    file: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A federation with Zhejiang and Guangdong, its trust list signed and saved, at the real clock (spawned CLIs use it). */
export interface SavedFederation {
  readonly now: number;
  readonly zj: TestProvince;
  readonly trustListFile: string;
  readonly federationJwksFile: string;
  readonly federationJwks: { keys: object[] };
  /** Sign another trust list payload with the federation key. */
  readonly sign: (payload: object) => Promise<string>;
}

export async function savedFederation(
  dir: string,
  now = Math.floor(Date.now() / 1000),
): Promise<SavedFederation> {
  const federationKey = await generateSigningKey('ES256');
  const federation = await LocalKeySigner.fromPrivateJwk(federationKey.privateJwk);
  const zj = await province(ZJ);
  const gd = await province(GD, 'EdDSA');
  const list = trustList([zj, gd], {
    issuedAt: now - 60,
    expiresAt: now + 86_400,
    key: () => ({ notBefore: now - 86_400, notAfter: now + 300 * 86_400 }),
  });
  const sign = (payload: object) => signCompactJws(federation, TRUST_LIST_PROFILE.typ, payload);
  const trustListFile = join(dir, 'trust-list.jws');
  writeFileSync(trustListFile, `${await sign(list)}\n`);
  const federationJwks = { keys: [{ ...federationKey.publicJwk, kid: federationKey.kid, alg: 'ES256' }] };
  const federationJwksFile = join(dir, 'federation.jwks.json');
  writeFileSync(federationJwksFile, JSON.stringify(federationJwks));
  return { now, zj, trustListFile, federationJwksFile, federationJwks, sign };
}

/** A code issued by `p` at `now - 60`. */
export async function issuedCode(p: TestProvince, now: number): Promise<string> {
  return (await issueCode(p.signer, issueRequest(), { issuer: p.region, now: now - 60 })).code;
}

/** Flip one character of the code's signature. */
export function tamper(code: string): string {
  const i = code.length - 5;
  return code.slice(0, i) + (code[i] === 'A' ? 'B' : 'A') + code.slice(i + 1);
}

/** Run bin/hcx.js as a user would. */
export function hcx(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const bin = resolve(__dirname, '../../bin/hcx.js');
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Run bin/hcx.js without blocking this process: needed when the services it calls run in this same
 * process (the in-process federation), which `spawnSync` would freeze.
 */
export function hcxAsync(
  ...args: string[]
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const bin = resolve(__dirname, '../../bin/hcx.js');
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        done({ status: error ? (typeof code === 'number' ? code : null) : 0, stdout, stderr });
      },
    );
  });
}

/** A URL on which nothing listens. */
export async function closedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

/** A stub service that answers every request with `status` and `body` (error-handling tests only). */
export async function stubService(
  status: number,
  body: object,
  contentType = 'application/problem+json',
): Promise<{ url: string; close: () => Promise<void>; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': contentType });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
