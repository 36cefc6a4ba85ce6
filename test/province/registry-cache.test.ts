/** The verifier's registry cache: an invalidation during an in-flight check is never lost. */
import { RegistryCache } from '../../functions/province/registry-cache';
import type { ProvinceRepository, ReplicaMeta } from '../../functions/province/repository';
import type { TrustList } from '../../functions/core/schemas/types.gen';

const list = (version: number): TrustList => ({
  federation: 'hcx-test',
  version,
  issuedAt: 1_000 + version,
  expiresAt: 9_999_999_999,
  logHead: 'A'.repeat(43),
  provinces: [],
  codeRevocations: [],
});
const meta = (l: TrustList) => ({ version: l.version, issuedAt: l.issuedAt }) as ReplicaMeta;

describe('RegistryCache', () => {
  it('reads the replica again after an invalidation that happened while a check was in flight', async () => {
    let stored = list(1);
    let releaseSlowRead: () => void = () => undefined;
    let slow = false;
    const repository = {
      getReplicaMeta: async () => {
        const seen = meta(stored);
        if (slow) await new Promise<void>((r) => (releaseSlowRead = r));
        return seen;
      },
      getReplica: async () => ({ list: stored }),
    } as unknown as ProvinceRepository;
    const cache = new RegistryCache(repository, { checkEveryMs: 60_000, clock: () => 0 });
    expect((await cache.snapshot()).version).toBe(1);

    // A check starts and reads the old metadata; meanwhile a sync commits v2 and invalidates.
    cache.invalidate();
    slow = true;
    const inFlight = cache.snapshot();
    await new Promise((r) => setImmediate(r));
    stored = list(2);
    slow = false;
    cache.invalidate();
    releaseSlowRead();
    await inFlight;

    expect((await cache.snapshot()).version).toBe(2);
  });
});
