/**
 * A retention policy changed after registration is logged: the node, restarted on the same data
 * folder with another policy, states it with a signed `province.retention` (its enrollment key) on
 * its next sync; the exchange logs it once, the trust list shows the new policy with the province's
 * signed request, and a tampered entry is refused by every holder (`PROVINCE_SIGNATURE_INVALID`).
 * Embedded runtime on disk, real HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { TrustListRejected } from '../../functions/core/errors';
import type { LogEntry, RetentionPolicy, TrustList } from '../../functions/core/schemas/types.gen';
import { applyEntries, emptyTrustList } from '../../functions/core/trustlist/state';
import type { Federation } from '../../functions/embedded/federation';
import { startTestFederation } from '../kit/federation';

const ZJ = '330000';
const AT_REGISTRATION: RetentionPolicy = {
  maxCodeLifetimeSeconds: 86_400,
  keepAfterExpirySeconds: 0,
  holderErasure: true,
};
const CHANGED: RetentionPolicy = {
  maxCodeLifetimeSeconds: 3_600,
  keepAfterExpirySeconds: 600,
  holderErasure: false,
};

let dir: string;
let fed: Federation | undefined;

const start = (retention: RetentionPolicy) => startTestFederation([ZJ], { dataDir: dir, retention });

async function logOf(f: Federation): Promise<LogEntry[]> {
  const page = (await (await fetch(`${f.state.exchangeUrl}/v1/log?limit=1000`)).json()) as {
    entries: LogEntry[];
  };
  return page.entries;
}

async function listedProvince(f: Federation) {
  const list = decodeJwt(
    await (await fetch(`${f.state.exchangeUrl}/v1/trust-list`)).text(),
  ) as unknown as TrustList;
  return list.provinces.find((p) => p.region === ZJ)!;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hcx-retention-'));
});
afterEach(async () => {
  await fed?.close();
  fed = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('logs a policy changed after registration once, and the trust list shows it with the signed request', async () => {
  fed = await start(AT_REGISTRATION);
  await fed.runScheduled();
  expect((await logOf(fed)).filter((e) => e.type === 'province.retention')).toEqual([]);
  expect(await listedProvince(fed)).toMatchObject({ retention: AT_REGISTRATION });
  await fed.close();

  fed = await start(CHANGED);
  await fed.runScheduled(); // syncs, sees the registration policy, states the new one
  await fed.runScheduled(); // syncs the new entry; the policies agree: nothing more is sent
  await fed.runScheduled();

  const changes = (await logOf(fed)).filter((e) => e.type === 'province.retention');
  expect(changes.map((e) => [e.region, e.type === 'province.retention' && e.data.retention])).toEqual([
    [ZJ, CHANGED],
  ]);
  const listed = await listedProvince(fed);
  expect(listed.retention).toEqual(CHANGED);
  expect(listed.retentionRequest).toBe(changes[0].type === 'province.retention' && changes[0].data.request);
  const registry = (await (
    await fetch(`${fed.state.provinces[0].url}/v1/registry`, {
      headers: { authorization: `Bearer ${fed.state.provinces[0].internalToken}` },
    })
  ).json()) as { retention: RetentionPolicy; sync?: { lastResult?: string } };
  expect(registry.retention).toEqual(CHANGED);
}, 90_000);

it('refuses a province.retention entry whose policy is not the one the province signed', async () => {
  fed = await start(CHANGED);
  const entries = await logOf(fed);
  const at = entries.findIndex((e) => e.type === 'province.retention');
  expect(at).toBeGreaterThan(0);
  const genuine = applyEntries(emptyTrustList(fed.state.federationId), entries);
  expect(genuine.provinces[0].retention).toEqual(CHANGED);

  const tampered = entries.map((e, i) =>
    i === at && e.type === 'province.retention'
      ? { ...e, data: { ...e.data, retention: { ...CHANGED, holderErasure: true } } }
      : e,
  );
  let refused: unknown;
  try {
    applyEntries(emptyTrustList(fed.state.federationId), tampered);
  } catch (e) {
    refused = e;
  }
  expect(refused).toBeInstanceOf(TrustListRejected);
  expect((refused as TrustListRejected).reason).toBe('PROVINCE_SIGNATURE_INVALID');
}, 60_000);
