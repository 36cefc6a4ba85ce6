/**
 * SECURITY.md "Trust list and sync (freeze, rollback, mix-and-match)", end to end: a verifier node
 * of our own (its own table and clock, served over real HTTP) syncs through a fake exchange on
 * 127.0.0.1 that either passes requests on to the real exchange or answers with crafted lists and
 * deltas. The crafted documents are signed with the federation's real key (an attacker who replays
 * genuine old documents, or an exchange gone wrong), or with keys the node must not trust.
 */
import { TRUST_LIST_PROFILE } from '../../functions/core/profiles';
import { verify as cryptoVerify, createPublicKey } from 'node:crypto';
import { generateSigningKey, thumbprint } from '../../functions/core/keys';
import type {
  LogEntry,
  SignedRequestPayload,
  TrustList,
  TrustListDelta,
} from '../../functions/core/schemas/types.gen';
import { signRequest } from '../../functions/core/signed-request';
import { LocalKeySigner } from '../../functions/core/signer';
import { makeEntry } from '../../functions/core/trustlist/log';
import { signDelta, signTrustList } from '../../functions/core/trustlist/trust-list';
import { captureLogs } from '../kit';
import { createProvinceDeps } from '../../functions/province/deps';
import { syncOnce } from '../../functions/province/sync';
import {
  b64,
  claimsOf,
  issue,
  nonce,
  now,
  reasonsAt,
  request,
  segments,
  signedRequest,
  startFakeExchange,
  startSecurityFederation,
  startVerifierNode,
  verifyAt,
  type FakeExchange,
  type Issued,
  type SecurityFederation,
  type VerifierNode,
} from './helpers';

let s: SecurityFederation;
let fake: FakeExchange;
const nodes: VerifierNode[] = [];

beforeAll(async () => {
  s = await startSecurityFederation();
  fake = await startFakeExchange(s.fed.state.exchangeUrl);
}, 60_000);
afterEach(async () => {
  fake.script = () => undefined;
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});
afterAll(async () => {
  await fake?.close();
  await s?.fed.close();
});

const payloadOf = <T>(jws: string): T =>
  JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8')) as T;
const realList = async (): Promise<string> =>
  (await request(`${s.fed.state.exchangeUrl}/v1/trust-list`)).text;
const realDelta = async (since: number): Promise<string> =>
  (await request(`${s.fed.state.exchangeUrl}/v1/trust-list?since=${since}`)).text;
const jose = (body: string | Buffer) => ({
  status: 200,
  body,
  headers: { 'content-type': 'application/jose' },
});
const isFull = (path: string) => path === '/v1/trust-list';

async function node(options: { tableName?: string } = {}): Promise<VerifierNode> {
  const n = await startVerifierNode(s.fed, { exchangeUrl: fake.url, ...options });
  nodes.push(n);
  return n;
}

/** Revoke `issued` at its province and wait until the exchange's list carries it. */
async function revokeAtZhejiang(issued: Issued): Promise<number> {
  const before = payloadOf<TrustList>(await realList()).version;
  const res = await request(`${s.zj.url}/v1/codes/${issued.codeId}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.zj.internalToken}` },
  });
  expect(res.status).toBe(200);
  const after = payloadOf<TrustList>(await realList()).version;
  expect(after).toBeGreaterThan(before);
  return after;
}

describe('rollback', () => {
  it('a node holding version N refuses an older genuinely signed list and delta, and keeps its revocations', async () => {
    const old = await realList();
    const oldVersion = payloadOf<TrustList>(old).version;
    const olderDelta = await realDelta(oldVersion - 1);
    const issued = await issue(s.zj);
    const n = await node();
    expect((await n.sync()).result).toBe('updated');
    const version = await revokeAtZhejiang(issued);
    expect(await n.sync()).toMatchObject({ result: 'updated', version });
    expect(await reasonsAt(n.url, issued.code)).toEqual(['CODE_REVOKED']);

    fake.script = (path) => jose(isFull(path) ? old : olderDelta);
    const outcome = await n.sync();

    expect(outcome).toMatchObject({ result: 'failed', error: 'ROLLBACK', version });
    expect(fake.asked.slice(-2)).toEqual([`/v1/trust-list?since=${version}`, '/v1/trust-list']);
    expect(await reasonsAt(n.url, issued.code)).toEqual(['CODE_REVOKED']);
  });
});

describe('freeze', () => {
  it('answers TRUST_LIST_STALE, never valid, once the list held is past its expiry while an attacker keeps serving it', async () => {
    const issued = await issue(s.zj, { validitySeconds: 7 * 86_400 });
    const frozen = await realList();
    const frozenDelta = await realDelta(payloadOf<TrustList>(frozen).version);
    const n = await node();
    fake.script = (path) => jose(isFull(path) ? frozen : frozenDelta);
    expect((await n.sync()).result).toBe('updated');
    expect(await reasonsAt(n.url, issued.code)).toEqual([]);

    n.offset = payloadOf<TrustList>(frozen).expiresAt - now() + 60;
    const outcome = await n.sync();
    const result = await verifyAt(n.url, issued.code);
    const [h, p, sig] = segments(issued.code);
    const tampered = `HCX2:${h}.${p}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;

    expect(outcome).toMatchObject({ result: 'failed', error: 'EXPIRED' });
    expect(result).toMatchObject({ result: 'indeterminate', reasons: [{ code: 'TRUST_LIST_STALE' }] });
    expect((await verifyAt(n.url, tampered)).result).toBe('invalid');
  });
});

describe('a full list the node must refuse', () => {
  let genuine: Issued;
  beforeAll(async () => {
    genuine = await issue(s.zj);
  });

  const variants: [string, string, () => Promise<string>][] = [
    [
      'with one entry removed after signing (mix-and-match)',
      'SIGNATURE_INVALID',
      async () => {
        const jws = await realList();
        const list = payloadOf<TrustList>(jws);
        const cut = { ...list, provinces: list.provinces.filter((p) => p.region !== s.gd.region) };
        const [h, , sig] = jws.split('.');
        return `${h}.${b64(JSON.stringify(cut))}.${sig}`;
      },
    ],
    [
      'signed by a key that is not the configured federation key',
      'UNKNOWN_KEY',
      async () => {
        const mallory = await LocalKeySigner.fromPrivateJwk((await generateSigningKey()).privateJwk);
        return signTrustList(mallory, payloadOf<TrustList>(await realList()));
      },
    ],
    [
      'bringing its own signing key in a jwk header',
      'MALFORMED',
      async () => {
        const mallory = await LocalKeySigner.fromPrivateJwk((await generateSigningKey()).privateJwk);
        const h = b64(
          JSON.stringify({
            alg: 'ES256',
            kid: mallory.kid,
            typ: 'hcx-trust-list+jws',
            jwk: mallory.publicJwk,
          }),
        );
        const p = b64(JSON.stringify(payloadOf<TrustList>(await realList())));
        return `${h}.${p}.${b64(await mallory.sign(Buffer.from(`${h}.${p}`)))}`;
      },
    ],
    [
      'past its expiry',
      'EXPIRED',
      async () =>
        signTrustList(s.federationSigner, {
          ...payloadOf<TrustList>(await realList()),
          issuedAt: now() - 7200,
          expiresAt: now() - 3600,
        }),
    ],
    [
      'issued in the future',
      'NOT_YET_VALID',
      async () =>
        signTrustList(s.federationSigner, {
          ...payloadOf<TrustList>(await realList()),
          issuedAt: now() + 3600,
          expiresAt: now() + 7200,
        }),
    ],
    [
      'of another federation',
      'FEDERATION_MISMATCH',
      async () =>
        signTrustList(s.federationSigner, {
          ...payloadOf<TrustList>(await realList()),
          federation: 'other-federation',
        }),
    ],
    [
      'naming one key twice',
      'INCONSISTENT',
      async () => {
        const list = payloadOf<TrustList>(await realList());
        const [first, ...rest] = list.provinces;
        const twin = { ...rest[0], keys: [...rest[0].keys, first.keys[0]] };
        return signTrustList(s.federationSigner, { ...list, provinces: [first, twin, ...rest.slice(1)] });
      },
    ],
    [
      'that is a genuine delta (typ swap)',
      'MALFORMED',
      async () => realDelta(payloadOf<TrustList>(await realList()).version),
    ],
    ['that is a genuine code (typ swap)', 'MALFORMED', async () => genuine.code.slice(5)],
    [
      'that is a genuine signed request (typ swap)',
      'MALFORMED',
      async () =>
        signedRequest(s.enrollment[s.zj.region], s.fed.state.federationId, s.zj.region, {
          op: 'code.revoke',
          codes: [{ jti: genuine.codeId, exp: now() + 60 }],
        }),
    ],
  ];

  it.each(variants)(
    'refuses a list %s (%s), and a node without a list never answers valid',
    async (_what, error, make) => {
      const crafted = await make();
      fake.script = (path) => (isFull(path) ? jose(crafted) : { status: 404, body: '' });
      const n = await node();

      const outcome = await n.sync();
      const result = await verifyAt(n.url, genuine.code);

      expect(outcome).toMatchObject({ result: 'failed', error });
      expect(result.result).not.toBe('valid');
      expect(result.reasons.map((r) => r.code)).toContain('TRUST_LIST_STALE');
    },
  );

  it('refuses a download over the size cap, declared or streamed, before reading it all', async () => {
    const huge = Buffer.alloc(TRUST_LIST_PROFILE.maxLength + 1, 0x41);
    const n = await node();
    fake.script = () => jose(huge);
    expect(await n.sync()).toMatchObject({ result: 'failed', error: 'TOO_LARGE' });

    const { createServer } = await import('node:http');
    const chunked = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jose', 'transfer-encoding': 'chunked' });
      for (let i = 0; i < 17; i++) res.write(Buffer.alloc(1024 * 1024, 0x41));
      res.end();
    });
    const { listen, close } = await import('../../functions/embedded/adapter');
    const url = await listen(chunked, 0);
    try {
      const deps = createProvinceDeps({
        region: '110000',
        federationId: s.fed.state.federationId,
        repository: n.deps.repository,
        exchangeUrl: url,
        federationJwks: s.fed.state.federationJwks as never,
      });
      expect(await syncOnce(deps)).toMatchObject({ result: 'failed', error: 'TOO_LARGE' });
    } finally {
      await close(chunked, 100);
    }
  });

  it('refuses a small-order Ed25519 key again when a (federation-signed) list carries one: the forgery it allows stays UNKNOWN_KEY', async () => {
    const smallOrder = {
      kty: 'OKP',
      crv: 'Ed25519',
      x: b64(Buffer.concat([Buffer.from([1]), Buffer.alloc(31)])),
    };
    const kid = await thumbprint(smallOrder);
    const list = payloadOf<TrustList>(await realList());
    const zj = list.provinces.find((p) => p.region === s.zj.region) as TrustList['provinces'][number];
    const window = { notBefore: now() - 60, notAfter: now() + 86_400 };
    // Signed by the province itself (a list must carry its request): the key check still has to hold.
    const publishRequest = await signRequest(s.enrollment[s.zj.region], {
      aud: list.federation,
      iat: now(),
      jti: nonce(),
      region: s.zj.region,
      op: 'key.publish',
      key: smallOrder,
      alg: 'EdDSA',
      ...window,
    } as SignedRequestPayload);
    const poisoned = {
      ...list,
      provinces: list.provinces.map((p) =>
        p === zj
          ? {
              ...p,
              keys: [
                ...p.keys,
                {
                  kid,
                  alg: 'EdDSA',
                  jwk: smallOrder,
                  ...window,
                  status: 'active',
                  request: publishRequest,
                },
              ],
            }
          : p,
      ),
    } as TrustList;
    const h = b64(JSON.stringify({ alg: 'EdDSA', kid: kid.slice(0, 11), typ: 'hcx2' }));
    const p = b64(JSON.stringify({ ...claimsOf(genuine.code), st: 'green' }));
    // identity R and S = 0: "verifies" under Node for any payload with that key
    const sig = Buffer.concat([Buffer.from([1]), Buffer.alloc(63)]);
    expect(
      cryptoVerify(null, Buffer.from(`${h}.${p}`), createPublicKey({ key: smallOrder, format: 'jwk' }), sig),
    ).toBe(true);
    const signed = await signTrustList(s.federationSigner, poisoned);
    fake.script = (path) => (isFull(path) ? jose(signed) : { status: 404, body: '' });
    const n = await node();
    expect((await n.sync()).result).toBe('updated');

    expect(await reasonsAt(n.url, `HCX2:${h}.${p}.${b64(sig)}`)).toEqual(['UNKNOWN_KEY']);
    expect(await reasonsAt(n.url, genuine.code)).toEqual([]);
  });
});

describe('deltas that do not continue the chain', () => {
  /** Zhejiang's own signed code.revoke of `issued` (what a code.revoked entry carries). */
  const revokeRequestOf = (issued: Issued) =>
    signedRequest(s.enrollment[s.zj.region], s.fed.state.federationId, s.zj.region, {
      op: 'code.revoke',
      codes: [{ jti: issued.codeId, exp: claimsOf(issued.code).exp as number }],
    });

  /** A code.revoked entry for `victim`, following `prev`, with Zhejiang's genuine request. */
  const revocation = (
    prev: { seq: number; hash: string },
    seq: number,
    victim: { issued: Issued; request: string },
  ): LogEntry =>
    makeEntry(
      { ...prev, seq: seq - 1 } as LogEntry,
      {
        seq,
        at: now(),
        type: 'code.revoked',
        region: s.zj.region,
        data: {
          jti: victim.issued.codeId,
          exp: claimsOf(victim.issued.code).exp as number,
          revokedAt: payloadOf<{ iat: number }>(victim.request).iat,
          request: victim.request,
        },
      } as never,
    );

  type Victim = { issued: Issued; request: string };
  const crafted: [string, string, (held: TrustList, victim: Victim) => TrustListDelta][] = [
    [
      'a gap: it starts after the version held',
      'GAP',
      (held, victim) => {
        const entry = revocation(
          { seq: held.version + 1, hash: b64(Buffer.alloc(32, 9)) },
          held.version + 2,
          victim,
        );
        return {
          federation: held.federation,
          fromVersion: held.version + 1,
          version: held.version + 2,
          issuedAt: now(),
          expiresAt: now() + 3600,
          logHead: entry.hash,
          entries: [entry],
        };
      },
    ],
    [
      'a fork: its entry chains to another head',
      'FORK',
      (held, victim) => {
        const entry = revocation(
          { seq: held.version, hash: b64(Buffer.alloc(32, 7)) },
          held.version + 1,
          victim,
        );
        return {
          federation: held.federation,
          fromVersion: held.version,
          version: held.version + 1,
          issuedAt: now(),
          expiresAt: now() + 3600,
          logHead: entry.hash,
          entries: [entry],
        };
      },
    ],
    [
      'an altered entry: its content no longer matches its hash',
      'BAD_HASH',
      (held, victim) => {
        const entry = revocation({ seq: held.version, hash: held.logHead }, held.version + 1, victim);
        const altered = { ...entry, region: s.gd.region } as LogEntry;
        return {
          federation: held.federation,
          fromVersion: held.version,
          version: held.version + 1,
          issuedAt: now(),
          expiresAt: now() + 3600,
          logHead: entry.hash,
          entries: [altered],
        };
      },
    ],
  ];

  it.each(crafted)(
    'refuses %s (%s), even signed by the federation key, and never applies its revocation',
    async (_what, reason, make) => {
      const issued = await issue(s.zj);
      const victim = { issued, request: await revokeRequestOf(issued) };
      const n = await node();
      expect((await n.sync()).result).toBe('updated');
      const held = (await n.deps.repository.getReplica())?.list as TrustList;
      const delta = await signDelta(s.federationSigner, make(held, victim));
      fake.script = (path) => (isFull(path) ? undefined : jose(delta));

      const logs = captureLogs();
      const outcome = await n.sync().finally(() => logs.stop());
      const refusal = logs.records().find((r) => r.message === 'delta refused, full resync');

      // GAP and FORK fall back to the genuine full list (which changes nothing); BAD_HASH is a failure
      if (reason === 'BAD_HASH') {
        expect([outcome.result, outcome.error, refusal]).toEqual(['failed', 'BAD_HASH', undefined]);
      } else {
        expect([outcome.fellBack, refusal?.reason]).toEqual([true, reason]);
        // `updated` only when a 15-minute re-issue window began meanwhile (the genuine list's issuedAt moved on)
        expect(['unchanged', 'updated']).toContain(outcome.result);
      }
      expect((await n.deps.repository.getReplica())?.list.logHead).toBe(held.logHead);
      expect(await reasonsAt(n.url, victim.issued.code)).toEqual([]);
    },
  );

  it('refuses a genuine delta with one entry removed after signing (mix-and-match)', async () => {
    const n = await node();
    expect((await n.sync()).result).toBe('updated');
    const held = (await n.deps.repository.getReplica())?.list as TrustList;
    const victim = await issue(s.zj);
    await revokeAtZhejiang(victim);
    const delta = await realDelta(held.version);
    const [h, , sig] = delta.split('.');
    const cut = { ...payloadOf<TrustListDelta>(delta), entries: [] };
    fake.script = (path) =>
      isFull(path) ? { status: 503, body: '' } : jose(`${h}.${b64(JSON.stringify(cut))}.${sig}`);

    expect(await n.sync()).toMatchObject({
      result: 'failed',
      error: 'SIGNATURE_INVALID',
      version: held.version,
    });
  });
});

describe('concurrent syncs', () => {
  it('never lets an older fetch that finishes last overwrite the newer replica', async () => {
    const old = await realList();
    await revokeAtZhejiang(await issue(s.zj));
    const newer = await realList();
    const a = await node();
    const b = await startVerifierNode(s.fed, { exchangeUrl: fake.url, tableName: a.tableName });
    nodes.push(b);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const firstAsked = new Promise<void>((resolve) => (asked = resolve));
    let calls = 0;
    fake.script = async () => {
      if (++calls === 1) {
        asked();
        await held;
        return jose(old);
      }
      return jose(newer);
    };

    const slow = a.sync();
    await firstAsked;
    const fast = await b.sync();
    release();
    const late = await slow;

    expect(fast).toMatchObject({ result: 'updated', version: payloadOf<TrustList>(newer).version });
    expect(late.result).not.toBe('updated');
    expect((await a.deps.repository.getReplica())?.list.version).toBe(payloadOf<TrustList>(newer).version);
  });
});
