/**
 * `npm run test:scale` (CI's longer suite, after `npm test`): the embedded federation over HTTP past
 * the old trust-list cliff (~34,300 active revocations, issue 12). 120,000 revocations by status index
 * reach the exchange through its real route (signed status batches, as a province's tooling sends
 * them), nodes sync over several publications and scheduled runs, then across three 15-minute
 * re-issue windows (REISSUE_SECONDS; only Date is faked, every timer stays real) with no write of a
 * replica chunk or a segment item, and then a fresh revocation through a node's own route propagates
 * within one sync while a fresh code verifies valid.
 */
import { issue } from '../../functions/cli/commands/issue';
import { segmentContent } from '../../functions/core/status/batch';
import { SEGMENT_BITS, SegmentSet } from '../../functions/core/status/segment';
import type { Federation } from '../../functions/embedded/federation';
import { REISSUE_SECONDS } from '../../functions/exchange/trust-list-publisher';
import {
  HOLDER,
  now,
  signedAs,
  startTestFederation,
  verifyAt,
  type ProvinceState,
  type TestFederation,
} from '../kit/federation';

jest.setTimeout(600_000);

let fed: TestFederation;
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
  return (await res.json()) as {
    version: number;
    expiresAt: string;
    lastSync: { result: string; error?: string };
  };
}

/** Every timer API: jest fakes only Date (which keeps advancing with real time, `advanceTimers`). */
const TIMER_APIS: Extract<Parameters<typeof jest.useFakeTimers>[0], { doNotFake?: unknown }>['doNotFake'] = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
];

interface Written {
  table: string;
  pk: string;
  sk: string;
  units: number;
}

/** The items written to the province tables (put, update, delete), with their write units. */
function countProvinceWrites(federation: Federation): Written[] {
  const writes: Written[] = [];
  federation.context.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        TableName?: string;
        Item?: Record<string, unknown>;
        Key?: Record<string, unknown>;
        ReturnConsumedCapacity?: string;
      };
      const table = input.TableName ?? '';
      const write = /^(Put|Update|Delete)Item/.test(context.commandName ?? '');
      if (!write || !table.startsWith('hcx-province-')) return next(args);
      input.ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const key = input.Item ?? input.Key ?? {};
      const consumed = (out.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
      // plain values from the document client, attribute values from a low-level call
      const text = (v: unknown) => (typeof v === 'string' ? v : ((v as { S?: string } | undefined)?.S ?? ''));
      writes.push({ table, pk: text(key.pk), sk: text(key.sk), units: consumed?.CapacityUnits ?? 0 });
      return out;
    },
    { step: 'initialize', name: 'countProvinceWrites' },
  );
  return writes;
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

  // three 15-minute re-issue windows crossed: only Date is faked (every timer API stays real, and
  // Date keeps advancing with real time), moved a window on at a time; the exchange re-signs the
  // same version dated anew, each node takes it as a re-issue (its replica's metadata only), and the
  // idle runs after it write the sync status once, then nothing: no replica chunk and no segment
  // item is written in any of these runs
  const writes = countProvinceWrites(fed);
  jest.useFakeTimers({ advanceTimers: true, doNotFake: TIMER_APIS });
  try {
    let expiresAt = Date.parse((await registry(gd)).expiresAt);
    for (let w = 0; w < 3; w++) {
      jest.setSystemTime(Date.now() + REISSUE_SECONDS * 1000);
      // the exchange's publication and the nodes' syncs run side by side: a node takes the re-issue
      // in the run that publishes it or in the next one; four runs in all
      const runs: { written: Written[]; results: string[] }[] = [];
      for (let run = 0; run < 4; run++) {
        writes.length = 0;
        await fed.runScheduled();
        runs.push({ written: [...writes], results: [zj, gd].map((p) => fed.lastSync(p.region)!.result) });
      }
      for (const [n, p] of [zj, gd].entries()) {
        const results = runs.map((r) => r.results[n]);
        const taken = results.indexOf('updated');
        expect(taken === 0 || taken === 1).toBe(true);
        expect(results.filter((r) => r !== 'unchanged')).toEqual(['updated']);
        const mine = runs.map((r) => r.written.filter((x) => x.table.endsWith(p.region)));
        // the re-issue: the replica's metadata and the status; the idle run after it, the status once
        expect(mine[taken].map((x) => x.sk).sort()).toEqual(['REPLICA', 'SYNC']);
        expect(mine[taken + 1].map((x) => x.sk)).toEqual(['SYNC']);
        expect(mine.slice(taken + 2).flat()).toEqual([]);
        expect(mine.flat().reduce((u, x) => u + x.units, 0)).toBeLessThanOrEqual(6);
        const r = await registry(p);
        expect(r.version).toBe(list.version);
        // dated at the start of the new window: the first one from the last change's time, then
        // exactly one window later each time
        const moved = Date.parse(r.expiresAt) - expiresAt;
        expect(moved).toBeGreaterThan(0);
        if (w > 0) expect(moved).toBe(REISSUE_SECONDS * 1000);
      }
      // nothing large anywhere: no replica chunk, no segment item
      const large = runs
        .flatMap((r) => r.written)
        .filter((x) => /^(SEGMENT#|OWN_SEGMENT)/.test(x.pk) || x.sk.startsWith('CHUNK#'));
      expect(large).toEqual([]);
      expiresAt = Date.parse((await registry(gd)).expiresAt);
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
  } finally {
    jest.useRealTimers();
  }
  console.log(`past the cliff: ${total} revocations, ${Math.round((Date.now() - started) / 1000)} s`);
});
