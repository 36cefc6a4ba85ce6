/**
 * The "newer than" rule (compareTrustLists) at each place that used to decide it on its own:
 * applyDelta, the province sync's delta "unchanged" test (which used `<=` where applyDelta used
 * `<`), its full sync, and the replica commit's DynamoDB condition (evaluated by the embedded
 * engine against the pure function). The settled semantics: a list is adopted only when NEWER; the
 * same log issued at the same time or earlier (SAME, REISSUED_EARLIER) keeps what is held without
 * an error; ROLLBACK and FORK are refused; applyDelta never returns a list older than it was given.
 */
import { TrustListRejected } from '../../functions/core/errors';
import { compareTrustLists, type ListOrder } from '../../functions/core/rules';
import type { TrustList, TrustListDelta } from '../../functions/core/schemas/types.gen';
import type { Signer } from '../../functions/core/signer';
import { PROVINCE_TABLE } from '../../functions/core/storage/tables';
import { applyDelta, federationKeys } from '../../functions/core/trustlist/trust-list';
import { DynamoProvinceRepository } from '../../functions/province/dynamo-repository';
import { createExchangeClient } from '../../functions/province/exchange-client';
import { syncOnce } from '../../functions/province/sync';
import { dynaliteTables, type DynaliteTables } from '../kit';
import {
  clock,
  fakeExchange,
  federationKey,
  FEDERATION,
  listOf,
  localSigner,
  signDeltaJws,
  signList,
  ZJ,
} from '../province/fixtures';

const NOW = 1_790_000_000;
const HEAD = 'A'.repeat(43);
let db: DynaliteTables;
let fed: Awaited<ReturnType<typeof federationKey>>;
let provinces: { region: string; signer: Signer }[];
let tables = 0;

beforeAll(async () => {
  db = await dynaliteTables([PROVINCE_TABLE]);
  fed = await federationKey();
  provinces = [{ region: ZJ, signer: await localSigner() }];
});
afterAll(() => db.close());

async function freshRepository(): Promise<DynamoProvinceRepository> {
  const { createTable } = await import('../../functions/aws/dynamodb');
  const name = `rules-${process.pid}-${++tables}`;
  await createTable(db.client, PROVINCE_TABLE, name);
  return new DynamoProvinceRepository(db.client, name);
}

const list = (over: Partial<TrustList> = {}) =>
  listOf(provinces, { now: NOW, issuedAt: NOW, logHead: HEAD, ...over });

const delta = (over: Partial<TrustListDelta> = {}): TrustListDelta => ({
  federation: FEDERATION,
  fromVersion: 5,
  version: 5,
  issuedAt: NOW,
  expiresAt: NOW + 86_400,
  logHead: HEAD,
  entries: [],
  ...over,
});

function syncDeps(repository: DynamoProvinceRepository, answer: (since?: number) => string) {
  const exchange = fakeExchange((since) => ({ status: 200, body: answer(since) }));
  return {
    repository,
    exchange: createExchangeClient({ baseUrl: 'http://exchange.test', fetch: exchange.fetch }),
    federationKeys: federationKeys(fed.jwks),
    now: clock(NOW).now,
  };
}

const reason = (f: () => unknown) => {
  try {
    f();
    return 'applied';
  } catch (e) {
    return e instanceof TrustListRejected ? e.reason : String(e);
  }
};

describe('applyDelta', () => {
  it.each([
    ['SAME: the same list back', delta(), 'applied'],
    ['NEWER (same log issued later)', delta({ issuedAt: NOW + 900 }), 'applied'],
    ['REISSUED_EARLIER: refused, it never returns an older list', delta({ issuedAt: NOW - 900 }), 'ROLLBACK'],
    ['ROLLBACK', delta({ fromVersion: 4, version: 4 }), 'ROLLBACK'],
    ['FORK at the held version', delta({ logHead: 'B'.repeat(43) }), 'FORK'],
  ])('%s', (_case, d, outcome) => {
    expect(reason(() => applyDelta(list({ version: 5 }), d, { now: NOW }))).toBe(outcome);
  });
});

describe('province sync, delta path (formerly `issuedAt <=`)', () => {
  it.each([
    ['SAME', delta(), { result: 'unchanged', mode: 'delta' }],
    [
      'REISSUED_EARLIER: kept, not an error',
      delta({ issuedAt: NOW - 900 }),
      { result: 'unchanged', mode: 'delta' },
    ],
    ['NEWER: the re-issue is taken', delta({ issuedAt: NOW + 60 }), { result: 'updated', mode: 'delta' }],
  ])('%s', async (_case, d, outcome) => {
    const repository = await freshRepository();
    await repository.putReplica(list({ version: 5 }), { base: 'x', baseAcceptedAt: NOW, deltas: [] }, NOW);
    const jws = await signDeltaJws(fed.signer, d);
    expect(await syncOnce(syncDeps(repository, () => jws))).toMatchObject({ ...outcome, version: 5 });
  });

  it('FORK at the held version (an earlier issue with another head) is no longer read as "unchanged": full resync', async () => {
    const repository = await freshRepository();
    await repository.putReplica(list({ version: 5 }), { base: 'x', baseAcceptedAt: NOW, deltas: [] }, NOW);
    const forked = await signDeltaJws(fed.signer, delta({ issuedAt: NOW - 900, logHead: 'B'.repeat(43) }));
    const full = await signList(fed.signer, list({ version: 6, logHead: 'C'.repeat(43) }));
    const outcome = await syncOnce(syncDeps(repository, (since) => (since === undefined ? full : forked)));
    expect(outcome).toMatchObject({ result: 'updated', mode: 'full', version: 6, fellBack: true });
  });
});

describe('province sync, full path', () => {
  it.each([
    ['SAME', { version: 5 }, { result: 'unchanged', mode: 'full', version: 5 }],
    [
      'REISSUED_EARLIER',
      { version: 5, issuedAt: NOW - 900 },
      { result: 'unchanged', mode: 'full', version: 5 },
    ],
    ['NEWER', { version: 5, issuedAt: NOW + 60 }, { result: 'updated', mode: 'full', version: 5 }],
    ['ROLLBACK', { version: 4 }, { result: 'failed', error: 'ROLLBACK', version: 5 }],
    ['FORK', { version: 5, logHead: 'B'.repeat(43) }, { result: 'failed', error: 'FORK', version: 5 }],
  ] as [string, Partial<TrustList>, object][])('%s', async (_case, served, outcome) => {
    const repository = await freshRepository();
    // 60 deltas on the base: the next sync is a full one.
    const deltas = Array.from({ length: 60 }, () => ({ jws: 'x', acceptedAt: NOW }));
    await repository.putReplica(list({ version: 5 }), { base: 'x', baseAcceptedAt: NOW, deltas }, NOW);
    const jws = await signList(fed.signer, list(served));
    // The delta path is refused (404): straight to the full list.
    const exchange = fakeExchange((since) =>
      since === undefined ? { status: 200, body: jws } : { status: 404, body: '' },
    );
    const deps = {
      repository,
      exchange: createExchangeClient({ baseUrl: 'http://exchange.test', fetch: exchange.fetch }),
      federationKeys: federationKeys(fed.jwks),
      now: clock(NOW + 120).now,
    };
    expect(await syncOnce(deps)).toMatchObject(outcome);
  });
});

describe('the replica commit (DynamoDB condition) writes exactly what compareTrustLists calls NEWER', () => {
  const held = { version: 5, issuedAt: NOW, logHead: HEAD };
  it.each<[string, { version: number; issuedAt: number; logHead: string }]>([
    ['higher version', { version: 6, issuedAt: NOW - 900, logHead: 'B'.repeat(43) }],
    ['same log issued later', { version: 5, issuedAt: NOW + 900, logHead: HEAD }],
    ['same log, same issue', { version: 5, issuedAt: NOW, logHead: HEAD }],
    ['same log issued earlier', { version: 5, issuedAt: NOW - 900, logHead: HEAD }],
    ['lower version', { version: 4, issuedAt: NOW + 900, logHead: HEAD }],
    ['same version, other head, issued later', { version: 5, issuedAt: NOW + 900, logHead: 'B'.repeat(43) }],
  ])('%s', async (_case, candidate) => {
    const repository = await freshRepository();
    await repository.putReplica(list(held), { base: 'x', baseAcceptedAt: NOW, deltas: [] }, NOW);
    const order: ListOrder = compareTrustLists(held, candidate);
    const { written } = await repository.putReplica(
      list(candidate),
      { base: 'y', baseAcceptedAt: NOW, deltas: [] },
      NOW,
    );
    expect([order, written]).toEqual([order, order === 'NEWER']);
    expect((await repository.getReplicaMeta())?.issuedAt).toBe(written ? candidate.issuedAt : held.issuedAt);
  });
});
