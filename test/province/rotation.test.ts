/** Key rotation against a scripted exchange: the order publish → visible → switch → revoke. */
import { parseCompactJws } from '../../functions/core/jws/compact';
import { REQUEST_PROFILE } from '../../functions/core/profiles';
import { federationKeys } from '../../functions/core/trustlist/trust-list';
import { createExchangeClient } from '../../functions/province/exchange-client';
import { rotateKey } from '../../functions/province/rotation';
import {
  clock,
  fakeExchange,
  federationKey,
  FEDERATION,
  listOf,
  localSigner,
  signList,
  ZJ,
} from './fixtures';
import { NOW } from '../kit';

describe('rotateKey', () => {
  it('publishes, waits until the key is in the trust list, switches, then revokes the old key as superseded', async () => {
    const fed = await federationKey();
    const [oldKey, newKey, enrollment] = [await localSigner(), await localSigner(), await localSigner()];
    const withoutNew = await signList(
      fed.signer,
      listOf([{ region: ZJ, signer: oldKey }], { now: NOW, version: 5 }),
    );
    const withNew = await signList(
      fed.signer,
      listOf([{ region: ZJ, signer: newKey }], { now: NOW, version: 6, logHead: 'B'.repeat(43) }),
    );
    let gets = 0;
    const exchange = fakeExchange(() => ({ status: 200, body: ++gets < 3 ? withoutNew : withNew }));
    const events: string[] = [];
    exchange.answerPosts(() => {
      events.push(`post#${exchange.posts.length + 1}`);
      return { status: 201, body: '{}' };
    });
    const time = clock(NOW);
    const result = await rotateKey({
      region: ZJ,
      federationId: FEDERATION,
      exchange: createExchangeClient({ baseUrl: 'http://exchange.test', fetch: exchange.fetch }),
      enrollmentSigner: enrollment,
      newSigner: newKey,
      oldKid: oldKey.kid,
      repository: {
        setActiveKid: async (kid) => {
          events.push(`switch:${kid === newKey.kid ? 'new' : 'other'}`);
        },
      },
      federationKeys: federationKeys(fed.jwks, FEDERATION),
      waitUntilVisible: { intervalMs: 1, timeoutMs: 5_000 },
      switchGraceMs: 0,
      now: time.now,
      sleep: async () => {
        events.push('wait');
      },
    });
    expect(result).toMatchObject({ newKid: newKey.kid, oldKid: oldKey.kid, visibleInVersion: 6, polls: 3 });
    expect(events).toEqual(['post#1', 'wait', 'wait', 'switch:new', 'wait', 'post#2']);
    const [publish, revoke] = exchange.posts.map((p) => parseCompactJws(p.body, REQUEST_PROFILE));
    expect(exchange.posts.map((p) => p.path)).toEqual([
      `/v1/provinces/${ZJ}/keys`,
      `/v1/provinces/${ZJ}/keys/${oldKey.kid}/revoke`,
    ]);
    expect(publish.payload).toMatchObject({ op: 'key.publish', alg: 'ES256', key: { ...newKey.publicJwk } });
    expect(revoke.payload).toMatchObject({
      op: 'key.revoke',
      kid: oldKey.kid,
      reason: 'superseded',
      revokedAt: NOW,
    });
    expect(publish.kid).toBe(enrollment.kid);
  });

  it('does not switch when the key never becomes visible', async () => {
    const fed = await federationKey();
    const [oldKey, newKey] = [await localSigner(), await localSigner()];
    const list = await signList(fed.signer, listOf([{ region: ZJ, signer: oldKey }], { now: NOW }));
    const exchange = fakeExchange(() => ({ status: 200, body: list }));
    const switched: string[] = [];
    await expect(
      rotateKey({
        region: ZJ,
        federationId: FEDERATION,
        exchange: createExchangeClient({ baseUrl: 'http://exchange.test', fetch: exchange.fetch }),
        enrollmentSigner: await localSigner(),
        newSigner: newKey,
        oldKid: oldKey.kid,
        repository: { setActiveKid: async (kid) => void switched.push(kid) },
        federationKeys: federationKeys(fed.jwks, FEDERATION),
        waitUntilVisible: { intervalMs: 1, timeoutMs: 20 },
        now: () => NOW,
      }),
    ).rejects.toMatchObject({ code: 'KEY_NOT_VISIBLE' });
    expect(switched).toEqual([]);
    expect(exchange.posts).toHaveLength(1);
  });
});
