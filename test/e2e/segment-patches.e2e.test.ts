/**
 * Incremental status publications end to end (docs/scale.md "Cost of a change"), on the test kit's
 * federation: the revoking node sends its segment whole the first time and as a patch (the offsets
 * added) afterwards; the other node applies each patch to the content it holds, or walks back
 * along the chain when it missed revisions; a fresh offline client fetches the chain back to the
 * full publication; every revoked code answers CODE_REVOKED and a fresh code stays valid.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issue } from '../../functions/cli/commands/issue';
import { trustListFetch } from '../../functions/cli/commands/trust-list';
import { verify } from '../../functions/cli/commands/verify';
import { batchesDir } from '../../functions/cli/status-batches';
import type { LogEntry } from '../../functions/core/schemas/types.gen';
import { openBatch } from '../../functions/core/status/batch';
import {
  HOLDER,
  startTestFederation,
  verifyAt,
  type ProvinceState,
  type TestFederation,
} from '../kit/federation';

jest.setTimeout(120_000);

let fed: TestFederation;
let zj: ProvinceState;
let gd: ProvinceState;
let dir: string;
/** Every code revoked so far. */
const revokedCodes: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hcx-patches-'));
  fed = await startTestFederation();
  [zj, gd] = fed.state.provinces;
});
afterAll(async () => {
  await fed?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Issue a code at zj (through the CLI, as a health system's tooling does). */
async function issuedWithId(): Promise<{ code: string; codeId: string }> {
  const out = await issue({
    node: zj.url,
    token: zj.internalToken,
    ...HOLDER,
    status: 'green',
    validity: 3600,
  });
  return out.data;
}

async function issued(): Promise<string> {
  return (await issuedWithId()).code;
}

/** Issue a code at zj and revoke it through zj's route (one status publication). */
async function revoked(): Promise<string> {
  const { code, codeId } = await issuedWithId();
  const res = await fetch(`${zj.url}/v1/codes/${codeId}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${zj.internalToken}` },
  });
  expect(res.status).toBe(200);
  revokedCodes.push(code);
  return code;
}

/** The zj status publications in the log, oldest first. */
async function publications(): Promise<Extract<LogEntry, { type: 'status.published' }>[]> {
  const res = await fetch(`${fed.state.exchangeUrl}/v1/log?since=0&limit=1000`);
  const { entries } = (await res.json()) as { entries: LogEntry[] };
  return entries.filter(
    (e): e is Extract<LogEntry, { type: 'status.published' }> =>
      e.type === 'status.published' && e.region === zj.region,
  );
}

async function batchText(hash: string): Promise<string> {
  const res = await fetch(`${fed.state.exchangeUrl}/v1/status-batches/${hash}`);
  expect(res.status).toBe(200);
  return res.text();
}

it('publishes whole, then patches; a node in sync applies each patch, one that missed some walks the chain', async () => {
  // prepare: the first revocation publishes the segment whole, the other node takes it
  const first = await revoked();
  await fed.runScheduled();
  expect((await verifyAt(gd, first)).reasons.map((r) => r.code)).toEqual(['CODE_REVOKED']);

  // act: two more revocations in the same segment, synced after each
  const second = await revoked();
  await fed.runScheduled();
  const third = await revoked();
  await fed.runScheduled();

  // assert: patches at depth 1 and 2, each batch carrying only the added offset
  const pubs = await publications();
  expect(pubs.map((e) => e.data.segments[0].depth)).toEqual([undefined, 1, 2]);
  const last = openBatch(await batchText(pubs[2].data.batch), pubs[2].data.batch);
  const item = last.segments.get(pubs[2].data.segments[0].segment);
  expect([item?.kind, item?.kind === 'patch' ? item.add.count : undefined, item?.count]).toEqual([
    'patch',
    1,
    3,
  ]);
  for (const code of [first, second, third]) {
    expect((await verifyAt(gd, code)).reasons.map((r) => r.code)).toEqual(['CODE_REVOKED']);
  }
  expect(fed.lastSync(gd.region)).toMatchObject({ result: 'updated' });

  // act: two revisions the other node does not see one by one (it walks back to the content it holds)
  const fourth = await revoked();
  const fifth = await revoked();
  await fed.runScheduled();

  // assert
  expect((await publications()).map((e) => e.data.segments[0].depth)).toEqual([undefined, 1, 2, 3, 4]);
  for (const code of [fourth, fifth]) {
    expect((await verifyAt(gd, code)).reasons.map((r) => r.code)).toEqual(['CODE_REVOKED']);
  }
  const fresh = await issued();
  expect((await verifyAt(gd, fresh)).result).toBe('valid');
});

it('lets a fresh offline client fetch the chain back to the full publication and verify offline', async () => {
  // prepare
  const out = join(dir, 'trust-list.jws');
  const fresh = await issued();
  const pubs = await publications();

  // act
  await trustListFetch({ exchange: fed.state.exchangeUrl, federationJwks: fed.state.federationJwks, out });
  const offline = async (code: string) =>
    (await verify({ code, offline: true, trustList: out, federationJwks: fed.state.federationJwks })).data;

  // assert: every batch of the chain is saved, each revoked code is refused, the fresh one is valid
  expect(readdirSync(batchesDir(out)).sort()).toEqual(pubs.map((e) => `${e.data.batch}.jws`).sort());
  expect(pubs).toHaveLength(5);
  for (const code of revokedCodes) {
    const answer = await offline(code);
    expect([answer.result, answer.reasons.map((r) => r.code)]).toEqual(['invalid', ['CODE_REVOKED']]);
  }
  expect((await offline(fresh)).result).toBe('valid');
});
