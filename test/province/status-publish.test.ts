/**
 * The publishing node's side of segment patches (functions/province/status.ts `revokeByStatus`),
 * against a scripted exchange: the first revision of a segment goes whole, the next as a patch on
 * the revision the exchange accepted, a chain at MAX_PATCH_CHAIN goes whole again, and a patch the
 * exchange refuses (SEGMENT_BASE_STALE, SEGMENT_CHAIN_FULL) is re-sent whole in the same call.
 */
import { randomBytes } from 'node:crypto';
import { PROVINCE_TABLE } from '../../functions/core/storage/tables';
import { MAX_PATCH_CHAIN } from '../../functions/core/rules';
import type { StatusPublishRequest } from '../../functions/core/schemas/types.gen';
import { readSegmentBits } from '../../functions/core/status/batch';
import { SEGMENT_BITS } from '../../functions/core/status/segment';
import { DynamoProvinceRepository } from '../../functions/province/dynamo-repository';
import { createExchangeClient } from '../../functions/province/exchange-client';
import { revokeByStatus } from '../../functions/province/status';
import { dynaliteTables, NOW, type DynaliteTables } from '../kit';
import { FEDERATION, localSigner, ZJ } from './fixtures';

let db: DynaliteTables;
beforeAll(async () => {
  db = await dynaliteTables([PROVINCE_TABLE]);
});
afterAll(() => db.close());

async function publisher(
  answers: (segments: StatusPublishRequest['segments']) => { status: number; body: string },
) {
  const { createTable } = await import('../../functions/aws/dynamodb');
  const name = `publish-${process.pid}-${randomBytes(4).toString('hex')}`;
  await createTable(db.client, PROVINCE_TABLE, name);
  const repository = new DynamoProvinceRepository(db.client, name);
  const sent: StatusPublishRequest['segments'][] = [];
  const client = createExchangeClient({
    baseUrl: 'http://exchange.test',
    fetch: async (_url, init) => {
      const jws = String(init?.body);
      const payload = JSON.parse(
        Buffer.from(jws.split('.')[1], 'base64url').toString(),
      ) as StatusPublishRequest;
      sent.push(payload.segments);
      const a = answers(payload.segments);
      const json = a.status === 200 ? a.body : JSON.stringify({ code: a.body, status: a.status });
      return new Response(json, {
        status: a.status,
        headers: { 'content-type': a.status === 200 ? 'application/json' : 'application/problem+json' },
      });
    },
  });
  const ctx = {
    exchange: client,
    enrollmentSigner: await localSigner(),
    region: ZJ,
    federationId: FEDERATION,
    now: () => NOW,
    repository,
  };
  const revoke = (...offsets: number[]) =>
    revokeByStatus(
      ctx,
      offsets.map((o) => ({ statusIndex: 3 * SEGMENT_BITS + o, exp: NOW + 3600 })),
    );
  return { repository, sent, revoke };
}

const kinds = (segments: StatusPublishRequest['segments']) =>
  segments.map((s) => ('add' in s ? 'patch' : 'whole'));

it('sends the first revision whole, then patches on the accepted revision, each adding only the new offsets', async () => {
  const { sent, revoke, repository } = await publisher(() => ({ status: 200, body: '{}' }));
  expect(await revoke(1, 2)).toEqual({ segments: 1, patches: 0 });
  expect(await revoke(3)).toEqual({ segments: 1, patches: 1 });
  expect(await revoke(4)).toEqual({ segments: 1, patches: 1 });
  expect(sent.map(kinds)).toEqual([['whole'], ['patch'], ['patch']]);
  const last = sent[2][0];
  expect('add' in last && [...readSegmentBits(last.add).set.offsets()]).toEqual([4]);
  expect((await repository.getOwnSegment(3))?.published?.depth).toBe(2);
});

it(`sends the segment whole again once its chain is at MAX_PATCH_CHAIN (${MAX_PATCH_CHAIN})`, async () => {
  const { sent, revoke, repository } = await publisher(() => ({ status: 200, body: '{}' }));
  await revoke(0);
  for (let i = 1; i <= MAX_PATCH_CHAIN; i++) await revoke(i);
  expect((await repository.getOwnSegment(3))?.published?.depth).toBe(MAX_PATCH_CHAIN);
  await revoke(1000);
  expect(kinds(sent[sent.length - 1])).toEqual(['whole']);
  expect((await repository.getOwnSegment(3))?.published?.depth).toBe(0);
  await revoke(1001);
  expect(kinds(sent[sent.length - 1])).toEqual(['patch']);
});

it.each(['SEGMENT_BASE_STALE', 'SEGMENT_CHAIN_FULL'])(
  're-sends the same revision whole when the exchange refuses the patch (%s)',
  async (code) => {
    let refuse = false;
    const { sent, revoke, repository } = await publisher((segments) =>
      refuse && 'add' in segments[0] ? { status: 409, body: code } : { status: 200, body: '{}' },
    );
    await revoke(1);
    refuse = true;
    expect(await revoke(2)).toEqual({ segments: 1, patches: 0 });
    expect(sent.map(kinds)).toEqual([['whole'], ['patch'], ['whole']]);
    expect(sent[2][0].rev).toBe(sent[1][0].rev);
    expect((await repository.getOwnSegment(3))?.published).toMatchObject({ depth: 0 });
  },
);

it('sends whole a revision whose base the exchange never confirmed (its publication failed)', async () => {
  let down = false;
  const { sent, revoke } = await publisher(() =>
    down ? { status: 503, body: 'EXCHANGE_UNAVAILABLE' } : { status: 200, body: '{}' },
  );
  await revoke(1);
  down = true;
  await expect(revoke(2)).rejects.toThrow();
  down = false;
  await revoke(3);
  expect(sent.map(kinds)).toEqual([['whole'], ['patch'], ['whole']]);
});
