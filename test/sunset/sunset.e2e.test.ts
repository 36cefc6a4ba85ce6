/* eslint-disable @typescript-eslint/no-explicit-any -- the test reads JSON answers as they come */
/**
 * Sunset end to end on the embedded runtime, on disk: a federation of Zhejiang and Guangdong with a
 * retention policy; Zhejiang ends its service (`hcx sunset province`), then the operator ends the
 * federation (`hcx sunset federation`). The deletion reports verify with `hcx sunset verify` and
 * with stock jose; every code then verifies `invalid` with a clear reason online and offline; no
 * key file is left; and neither the tables nor any file of the data folder holds a name, an ID
 * number or a holder pseudonym.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { decodeB64url } from '../../functions/core/b64';
import { holderBindingFromClaim } from '../../functions/core/holder';
import { CODE_PREFIX } from '../../functions/core/profiles';
import type { Federation } from '../../functions/embedded/federation';
import { startTestFederation } from '../kit/federation';
import { hcxAsync } from '../cli/fixtures';

const ZJ = '330000';
const GD = '440000';
const NAME = '张三丰';
const ID_NUMBER = '11010519491231002X';
const NAME_GD = '李四光';
const ID_GD = '440524188001010014';
const RETENTION = { maxCodeLifetimeSeconds: 3600, keepAfterExpirySeconds: 0, holderErasure: true };

let dir: string;
let federation: Federation | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hcx-sunset-'));
});
afterAll(async () => {
  await federation?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(url: string, body: unknown, token?: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

function payloadOf(jws: string): any {
  return JSON.parse((decodeB64url(jws.split('.')[1]) as Buffer).toString('utf8'));
}

/** Every file under `root`, recursively. */
function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The needles found in any file under `root` (UTF-8 bytes). */
function grepDataFolder(root: string, needles: readonly string[]): string[] {
  const found = new Set<string>();
  for (const file of filesUnder(root)) {
    const bytes = readFileSync(file);
    for (const n of needles) if (bytes.includes(Buffer.from(n, 'utf8'))) found.add(`${n} in ${file}`);
  }
  return [...found];
}

it('sunsets a province, then the federation: reports verify, codes refuse, nothing personal is left', async () => {
  const dataDir = join(dir, 'data');
  federation = await startTestFederation([ZJ, GD], {
    dataDir,
    retention: RETENTION,
    sweepIntervalSeconds: 30, // the runner's default: the TTL sweeper runs as in `npm start`
  });
  const { state, stateFile } = federation;
  const zj = state.provinces.find((p) => p.region === ZJ)!;
  const gd = state.provinces.find((p) => p.region === GD)!;

  // Retention: refused beyond the policy, shown by the node and in the trust list.
  const tooLong = await post(
    `${zj.url}/v1/codes`,
    { holder: { name: NAME, idType: '10', idNumber: ID_NUMBER }, status: 'green', validitySeconds: 7200 },
    zj.internalToken,
  );
  expect(tooLong.status).toBe(400);
  expect(tooLong.json.code).toBe('RETENTION_EXCEEDED');
  const registry: any = await (
    await fetch(`${zj.url}/v1/registry`, { headers: { authorization: `Bearer ${zj.internalToken}` } })
  ).json();
  expect(registry.retention).toEqual(RETENTION);
  const listNow = payloadOf(await (await fetch(`${state.exchangeUrl}/v1/trust-list`)).text());
  expect(listNow.provinces.map((p: any) => p.retention)).toEqual([RETENTION, RETENTION]);

  const issued = await post(
    `${zj.url}/v1/codes`,
    { holder: { name: NAME, idType: '10', idNumber: ID_NUMBER }, status: 'green' },
    zj.internalToken,
  );
  expect(issued.status).toBe(201);
  const codeZj: string = issued.json.code;
  const issuedGd = await post(
    `${gd.url}/v1/codes`,
    { holder: { name: NAME_GD, idType: '10', idNumber: ID_GD }, status: 'yellow' },
    gd.internalToken,
  );
  expect(issuedGd.status).toBe(201);
  const codeGd: string = issuedGd.json.code;
  // what a holder pseudonym looks like in the tables: the code's holder binding
  const hbZj = holderBindingFromClaim(payloadOf(codeZj.slice(CODE_PREFIX.length)).hb)!;
  const hbGd = holderBindingFromClaim(payloadOf(codeGd.slice(CODE_PREFIX.length)).hb)!;
  expect((await post(`${gd.url}/v1/codes/verify`, { code: codeZj })).json.result).toBe('valid');
  // control: before the sunset the tables do hold the holder pseudonyms
  const scanAll = async () => {
    const items: string[] = [];
    for (const table of ['hcx-exchange', `hcx-province-${ZJ}`, `hcx-province-${GD}`]) {
      const out = await federation!.context.client.send(new ScanCommand({ TableName: table }));
      items.push(...(out.Items ?? []).map((i) => JSON.stringify(i)));
    }
    return items.join('\n');
  };
  expect(await scanAll()).toContain(hbZj.tag);

  // 1. Zhejiang ends its service.
  const zjReport = join(dir, 'zj-report.jws');
  const sunsetZj = await hcxAsync(
    'sunset',
    'province',
    '--state-file',
    stateFile,
    '--province',
    ZJ,
    '--out',
    zjReport,
  );
  expect(sunsetZj.stderr).toBe('');
  expect(sunsetZj.status).toBe(0);
  const again = await post(
    `${zj.url}/v1/codes`,
    { holder: { name: NAME, idType: '10', idNumber: ID_NUMBER }, status: 'green' },
    zj.internalToken,
  );
  expect(again.status).toBe(410);
  expect(again.json.code).toBe('PROVINCE_SUNSET');
  // the exchange logged it; its report verifies with the enrollment key the log names
  const log: any = await (await fetch(`${state.exchangeUrl}/v1/log?limit=1000`)).json();
  expect(log.entries.map((e: any) => e.type)).toContain('province.sunset');
  const enrollmentKey = log.entries.find((e: any) => e.type === 'province.registered' && e.region === ZJ).data
    .enrollmentKey;
  const zjJwks = join(dir, 'zj-enrollment.jwks.json');
  writeFileSync(zjJwks, JSON.stringify({ keys: [enrollmentKey] }));
  const zjVerified = await hcxAsync('--json', 'sunset', 'verify', zjReport, '--jwks', zjJwks);
  expect(zjVerified.status).toBe(0);
  const zjPayload = JSON.parse(zjVerified.stdout).report;
  expect(zjPayload).toMatchObject({ scope: 'province', region: ZJ, federation: state.federationId });
  expect(zjPayload.tables).toEqual(
    expect.arrayContaining([expect.objectContaining({ kind: 'issued-code', count: 1 })]),
  );
  expect(zjPayload.keys.map((k: any) => `${k.use}:${k.action}`).sort()).toEqual([
    'enrollment:destroyed',
    'issuer:destroyed',
  ]);
  // stock jose verifies it too
  const zjJws = readFileSync(zjReport, 'utf8').trim();
  expect(decodeProtectedHeader(zjJws).typ).toBe('hcx-deletion-report+jws');
  await expect(compactVerify(zjJws, await importJWK(enrollmentKey, 'ES256'))).resolves.toBeDefined();
  // the federation key does not verify a province's report
  expect((await hcxAsync('sunset', 'verify', zjReport, '--state-file', stateFile)).status).toBe(1);

  await federation.runScheduled();
  const afterZj = await post(`${gd.url}/v1/codes/verify`, { code: codeZj });
  expect(afterZj.json.result).toBe('invalid');
  expect(afterZj.json.reasons.map((r: any) => r.code)).toContain('ISSUER_SUNSET');

  // Guangdong ends its service too (the operator would otherwise only suspend it: a suspended
  // node's records stay until their codes expire).
  const sunsetGd = await hcxAsync('sunset', 'province', '--state-file', stateFile, '--province', GD);
  expect(sunsetGd.status).toBe(0);

  // 2. The operator ends the federation.
  const fedReport = join(dir, 'federation-report.jws');
  const finalList = join(dir, 'final-list.jws');
  const sunsetFed = await hcxAsync(
    'sunset',
    'federation',
    '--state-file',
    stateFile,
    '--out',
    fedReport,
    '--trust-list-out',
    finalList,
  );
  expect(sunsetFed.stderr).toBe('');
  expect(sunsetFed.status).toBe(0);
  const fedVerified = await hcxAsync('--json', 'sunset', 'verify', fedReport, '--state-file', stateFile);
  expect(fedVerified.status).toBe(0);
  const fedPayload = JSON.parse(fedVerified.stdout).report;
  expect(fedPayload.scope).toBe('federation');
  expect(fedPayload.keys).toEqual([
    expect.objectContaining({ use: 'federation', store: 'local-file', action: 'destroyed' }),
  ]);
  expect(fedPayload.tables.map((t: any) => t.kind)).toEqual(
    expect.arrayContaining(['province', 'request-nonce']),
  );
  const fedKey = (state.federationJwks.keys as any[])[0];
  await expect(
    compactVerify(readFileSync(fedReport, 'utf8').trim(), await importJWK(fedKey, 'ES256')),
  ).resolves.toBeDefined();
  // the final list: sunset marker, short expiry; the log ends with federation.sunset
  const last = payloadOf(readFileSync(finalList, 'utf8').trim());
  expect(last.sunset).toBeDefined();
  expect(last.expiresAt - last.issuedAt).toBeLessThanOrEqual(3600);
  expect(fedPayload.logHead).toEqual({ seq: last.version, hash: last.logHead });
  expect(await (await fetch(`${state.exchangeUrl}/v1/trust-list`)).text()).toBe(
    readFileSync(finalList, 'utf8').trim(),
  );
  // nothing more is accepted
  const late = await post(
    `${state.exchangeUrl}/v1/provinces`,
    { region: '350000', name: '福建省', enrollmentKey: enrollmentKey },
    state.operatorToken,
  );
  expect(late.status).toBe(410);
  expect(late.json.code).toBe('FEDERATION_SUNSET');

  // Every code now verifies invalid with a clear reason, online and offline.
  await federation.runScheduled();
  for (const code of [codeZj, codeGd]) {
    const online = await post(`${gd.url}/v1/codes/verify`, { code });
    expect(online.json.result).toBe('invalid');
    expect(online.json.reasons.map((r: any) => r.code)).toEqual(['FEDERATION_SUNSET']);
    const offline = await hcxAsync(
      '--json',
      'verify',
      code,
      '--offline',
      '--trust-list',
      finalList,
      '--state-file',
      stateFile,
    );
    expect(offline.status).toBe(1);
    expect(JSON.parse(offline.stdout).reasons.map((r: any) => r.code)).toEqual(['FEDERATION_SUNSET']);
  }

  // No private key is left, and no table holds a name, an ID number or a holder pseudonym.
  const keysDir = federation.context.keysDir;
  expect(readdirSync(keysDir).filter((f) => f.endsWith('.jwk.json'))).toEqual([]);
  const needles = [NAME, ID_NUMBER, NAME_GD, ID_GD, hbZj.tag, hbZj.salt, hbGd.tag, hbGd.salt];
  const tables = await scanAll();
  expect(needles.filter((n) => tables.includes(n))).toEqual([]);
  expect(tables).not.toContain('"CODE#');

  await federation.close();
  federation = undefined;
  expect(existsSync(join(dataDir, 'dynamodb'))).toBe(true);
  expect(grepDataFolder(dataDir, needles)).toEqual([]);
}, 120_000);
