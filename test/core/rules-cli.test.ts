/**
 * The "newer than" rule (compareTrustLists) at `hcx trust-list fetch`, which used `isNewer` plus an
 * inline fork check: a saved list is replaced only by a NEWER one; the same log issued earlier
 * (REISSUED_EARLIER) keeps the saved file and exits 0; ROLLBACK and FORK keep it and exit 3.
 * And staleness: a stale saved list still opens for `show` (allowExpired, on the verified payload).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trustListFetch, trustListShow } from '../../functions/cli/commands/trust-list';
import { EXIT, ServiceError } from '../../functions/cli/errors';
import { savedFederation, tempDir } from '../cli/fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function exchangeServing(jws: string) {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/jose' });
    res.end(jws);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const payloadOf = (jws: string) =>
  JSON.parse(Buffer.from(jws.trim().split('.')[1], 'base64url').toString('utf8')) as {
    version: number;
    issuedAt: number;
    expiresAt: number;
    logHead: string;
  };

describe('hcx trust-list fetch over a saved list', () => {
  it.each([
    ['NEWER (same log issued later): replaced', { issuedAt: 30 }, 'replaced'],
    ['SAME: replaced by the identical list', {}, 'replaced'],
    ['REISSUED_EARLIER: kept, exit 0', { issuedAt: -900 }, 'kept'],
    ['ROLLBACK: kept, exit 3', { version: -1 }, 'ServiceError'],
    ['FORK: kept, exit 3', { logHead: 'B'.repeat(43) }, 'ServiceError'],
  ] as const)('%s', async (_case, change, outcome) => {
    const fed = await savedFederation(tmp.dir);
    const saved = readFileSync(fed.trustListFile, 'utf8');
    const held = payloadOf(saved);
    const served = await fed.sign({
      ...held,
      ...('issuedAt' in change ? { issuedAt: held.issuedAt + change.issuedAt } : {}),
      ...('version' in change ? { version: held.version + change.version } : {}),
      ...('logHead' in change ? { logHead: change.logHead } : {}),
    });
    const exchange = await exchangeServing(served);
    try {
      const result = await trustListFetch({
        exchange: exchange.url,
        federationJwks: fed.federationJwks,
        out: fed.trustListFile,
      }).catch((e: unknown) => e);
      if (outcome === 'ServiceError') {
        expect(result).toBeInstanceOf(ServiceError);
        expect((result as ServiceError).exitCode).toBe(EXIT.SERVICE);
      } else {
        expect((result as { exitCode: number }).exitCode).toBe(EXIT.OK);
      }
      const now = readFileSync(fed.trustListFile, 'utf8');
      expect(now).toBe(outcome === 'replaced' ? `${served}\n` : saved);
    } finally {
      await exchange.close();
    }
  });
});

describe('hcx trust-list show of a stale list', () => {
  it('opens it (expired: true, age from the verified payload)', async () => {
    const fed = await savedFederation(tmp.dir);
    const held = payloadOf(readFileSync(fed.trustListFile, 'utf8'));
    const later = held.expiresAt + 3600;
    const shown = await trustListShow({
      file: fed.trustListFile,
      federationJwks: fed.federationJwks,
      now: later,
    });
    expect([shown.exitCode, shown.data.expired, shown.data.ageSeconds]).toEqual([
      EXIT.OK,
      true,
      later - held.issuedAt,
    ]);
  });
});
