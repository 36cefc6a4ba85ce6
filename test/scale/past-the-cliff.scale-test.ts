/**
 * `npm run test:scale` (CI's longer suite, after `npm test`): the embedded federation over HTTP past
 * the old trust-list cliff (~34,300 active revocations, issue 12). 120,000 revocations by status index
 * reach the exchange through its real route (signed status batches, as a province's tooling sends
 * them), nodes sync over several publications and scheduled runs, and then a fresh revocation through
 * a node's own route propagates within one sync while a fresh code verifies valid.
 */
import { issue } from '../../functions/cli/commands/issue';
import { segmentContent } from '../../functions/core/status/batch';
import { SEGMENT_BITS, SegmentSet } from '../../functions/core/status/segment';
import type { Federation } from '../../functions/embedded/federation';
import { HOLDER, now, signedAs, startTestFederation, verifyAt, type ProvinceState } from '../e2e/harness';

jest.setTimeout(600_000);

let fed: Federation;
let zj: ProvinceState;
let gd: ProvinceState;

beforeAll(async () => {
  fed = await startTestFederation();
  [zj, gd] = fed.state.provinces;
});
afterAll(() => fed?.close());

/** `count` revoked offsets spread over segment `segment` (far from the indices the node issues). */
function revokedSegment(segment: number, count: number, rev: number) {
  const step = Math.floor(SEGMENT_BITS / count);
  const offsets = Uint32Array.from({ length: count }, (_, i) => i * step);
  return segmentContent(segment, rev, now() + 6 * 3600, SegmentSet.fromSorted(offsets));
}

async function publish(segments: ReturnType<typeof revokedSegment>[]): Promise<number> {
  const body = await signedAs(fed, zj, { op: 'status.publish', segments });
  const res = await fetch(`${fed.state.exchangeUrl}/v1/provinces/${zj.region}/status-segments`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose' },
    body,
  });
  return res.status;
}

async function registry(p: ProvinceState) {
  const res = await fetch(`${p.url}/v1/registry`, {
    headers: { authorization: `Bearer ${p.internalToken}` },
  });
  return (await res.json()) as { version: number; lastSync: { result: string; error?: string } };
}

it('keeps syncing past 100,000 active revocations, then propagates a fresh revocation in one sync', async () => {
  const started = Date.now();
  // 120,000 revocations in three publications of 40,000 (two segments of 20,000 each), a sync after each
  const perSegment = 20_000;
  let total = 0;
  for (let round = 0; round < 3; round++) {
    const segments = [
      revokedSegment(1000 + 2 * round, perSegment, 1),
      revokedSegment(1001 + 2 * round, perSegment, 1),
    ];
    expect(await publish(segments)).toBe(200);
    total += 2 * perSegment;
    await fed.runScheduled();
  }
  expect(total).toBeGreaterThanOrEqual(100_000);

  // the signed list names them all, and it is small (the old design: ~121 bytes per revocation)
  const jws = await (await fetch(`${fed.state.exchangeUrl}/v1/trust-list`)).text();
  const list = JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8')) as {
    version: number;
    statusSegments?: { region: string; count: number }[];
  };
  const listed = (list.statusSegments ?? []).filter((s) => s.region === zj.region);
  expect(listed.reduce((n, s) => n + s.count, 0)).toBe(total);
  expect(jws.length).toBeLessThan(total * 121);

  // several more scheduled runs (syncs and the exchange's publications): every node holds the head
  for (let i = 0; i < 3; i++) await fed.runScheduled();
  for (const p of [zj, gd]) {
    const r = await registry(p);
    expect(r.lastSync.error).toBeUndefined();
    expect(r.lastSync.result).not.toBe('failed');
    expect(r.version).toBe(list.version);
  }

  // a fresh code revoked through the issuing node's own route reaches the other node in one sync
  const token = zj.internalToken;
  const fresh = await issue({ node: zj.url, token, ...HOLDER, status: 'green', validity: 3600 });
  const revoked = await issue({ node: zj.url, token, ...HOLDER, status: 'green', validity: 3600 });
  const res = await fetch(`${zj.url}/v1/codes/${revoked.data.codeId}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  await fed.runScheduled();
  const answer = await verifyAt(gd, revoked.data.code);
  expect([answer.result, answer.reasons.map((r) => r.code)]).toEqual(['invalid', ['CODE_REVOKED']]);
  expect((await verifyAt(gd, fresh.data.code)).result).toBe('valid');
  console.log(`past the cliff: ${total} revocations, ${Math.round((Date.now() - started) / 1000)} s`);
});
