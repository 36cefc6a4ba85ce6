/**
 * Conformance vectors through hcx's own verifier and key intake (never through jose directly).
 * Sources: test/vectors/README.md (Wycheproof, C2SP/CCTV, ed25519-speccheck; Apache-2.0).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { algorithmByName } from '../../functions/core/algorithms';
import { decodeB64url } from '../../functions/core/b64';
import { verifyCode } from '../../functions/core/code/verify';
import { KeyRejected } from '../../functions/core/errors';
import { acceptPublicKey } from '../../functions/core/keys';
import { buildSnapshot } from '../../functions/core/registry';
import { NOW, trustList } from './fixtures';

const vectors = (file: string) => JSON.parse(readFileSync(join(__dirname, '..', 'vectors', file), 'utf8'));
const hex = (s: string) => Buffer.from(s, 'hex');

interface SigTest {
  tcId: number;
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
  flags: string[];
}

/** Accept the key, then verify with the registered algorithm exactly as verifyCode does (length first). */
async function verifyWith(alg: string, jwk: object, msg: Buffer, sig: Buffer): Promise<boolean> {
  const key = await acceptPublicKey(jwk, alg);
  const algorithm = algorithmByName(alg)!;
  return (
    sig.length === algorithm.signatureLength && algorithm.verify(algorithm.importPublicKey(key.jwk), msg, sig)
  );
}

describe('Wycheproof ECDSA P-256 SHA-256 (IEEE P1363) through the ES256 verifier', () => {
  const file = vectors('wycheproof/ecdsa_secp256r1_sha256_p1363_test.json');
  // A few groups carry only the raw point (wx, wy); they become JWKs here.
  const coord = (h: string) => hex(h.replace(/^00/, '').padStart(64, '0')).toString('base64url');
  const jwkOf = (g: { publicKeyJwk?: object; publicKey: { wx: string; wy: string } }) =>
    g.publicKeyJwk ?? { kty: 'EC', crv: 'P-256', x: coord(g.publicKey.wx), y: coord(g.publicKey.wy) };
  const cases: [number, object, SigTest][] = file.testGroups.flatMap(
    (g: { publicKeyJwk?: object; publicKey: { wx: string; wy: string }; tests: SigTest[] }) =>
      g.tests.map((t) => [t.tcId, jwkOf(g), t]),
  );

  it(`has all ${file.numberOfTests} vectors`, () => expect(cases).toHaveLength(file.numberOfTests));

  it.each(cases)('tcId %i matches its expected result', async (_id, jwk, t) => {
    const ok = await verifyWith('ES256', { ...jwk, kid: undefined }, hex(t.msg), hex(t.sig));
    if (t.result !== 'acceptable') expect(ok).toBe(t.result === 'valid');
  });
});

describe('Wycheproof Ed25519 through the EdDSA verifier', () => {
  const file = vectors('wycheproof/ed25519_test.json');
  const cases: [number, object, SigTest][] = file.testGroups.flatMap(
    (g: { publicKeyJwk: object; tests: SigTest[] }) => g.tests.map((t) => [t.tcId, g.publicKeyJwk, t]),
  );

  it.each(cases)('tcId %i matches its expected result', async (_id, jwk, t) => {
    const ok = await verifyWith('EdDSA', { ...jwk, kid: undefined }, hex(t.msg), hex(t.sig));
    if (t.result !== 'acceptable') expect(ok).toBe(t.result === 'valid');
  });
});

describe('Wycheproof JSON Web Signature vectors', () => {
  const file = vectors('wycheproof/json_web_signature_test.json');
  type JwsGroup = {
    comment: string;
    private: Record<string, string>;
    public?: Record<string, string>;
    tests: { tcId: number; jws: unknown; result: string }[];
  };
  const cases: [number, string, JwsGroup, { jws: unknown; result: string }][] = file.testGroups.flatMap(
    (g: JwsGroup) => g.tests.map((t) => [t.tcId, g.comment, g, t]),
  );

  it.each(cases)('tcId %i (%s) is never accepted as an hcx code', async (_id, _comment, group, t) => {
    const { d: _d, kid: _kid, ...pub } = group.private;
    const usable = await acceptPublicKey(pub).catch(() => undefined);
    const list = trustList([]);
    if (usable)
      list.provinces.push({
        region: '330000',
        name: 'x',
        status: 'active',
        keys: [
          {
            kid: usable.kid,
            alg: usable.alg,
            jwk: usable.jwk as never,
            notBefore: 0,
            notAfter: NOW + 1000,
            status: 'active',
          },
        ],
      } as never);
    const token = typeof t.jws === 'string' ? `HCX1:${t.jws}` : JSON.stringify(t.jws);
    const result = await verifyCode(token, await buildSnapshot(list), { now: NOW });
    expect(result.result).toBe('invalid');
  });

  const es256 = cases.filter(
    ([, , g, t]) =>
      g.private.kty === 'EC' &&
      g.private.crv === 'P-256' &&
      typeof t.jws === 'string' &&
      (g.private.alg ?? 'ES256') === 'ES256',
  );

  it.each(es256)(
    'tcId %i (%s): the ES256 signature primitive agrees with the expected result',
    async (_id, _c, group, t) => {
      const [h, p, s] = (t.jws as string).split('.');
      const header = decodeB64url(h ?? '');
      const sig = decodeB64url(s ?? '');
      const parsed =
        header &&
        (() => {
          try {
            return JSON.parse(header.toString('utf8'));
          } catch {
            return undefined;
          }
        })();
      // kid is a free-form name in these vectors (hcx kids are thumbprints); use/key_ops/alg stay and must agree.
      const { d: _d, kid: _kid, ...pub } = group.private;
      const ok =
        !!sig &&
        !!decodeB64url(p ?? '') &&
        parsed?.alg === 'ES256' &&
        (await verifyWith('ES256', pub, Buffer.from(`${h}.${p}`), sig).catch(() => false));
      expect(ok).toBe(t.result === 'valid');
    },
  );
});

describe('Wycheproof JSON Web Key sets: every key is refused at intake', () => {
  const file = vectors('wycheproof/json_web_key_test.json');
  const keys: [string, object][] = file.testGroups.flatMap(
    (g: { comment: string; private: { keys: object[] } }) => g.private.keys.map((k) => [g.comment, k]),
  );

  it.each(keys)('%s: %j is refused', async (_c, key) => {
    await expect(acceptPublicKey(key)).rejects.toBeInstanceOf(KeyRejected);
  });
});

describe('Wycheproof ECDH WebCrypto: invalid P-256 public keys are refused at intake', () => {
  const file = vectors('wycheproof/ecdh_secp256r1_webcrypto_test.json');
  const invalid: [number, string, Record<string, string>][] = file.testGroups.flatMap(
    (g: { tests: { tcId: number; comment: string; result: string; public: Record<string, string> }[] }) =>
      g.tests.filter((t) => t.result === 'invalid').map((t) => [t.tcId, t.comment, t.public]),
  );

  it('has the 23 invalid keys the vectors README names', () => expect(invalid).toHaveLength(23));

  it.each(invalid)('tcId %i (%s) is refused', async (_id, _c, pub) => {
    const { kid: _kid, ...jwk } = pub;
    const error = await acceptPublicKey(jwk, 'ES256').catch((e) => e);
    expect(error).toBeInstanceOf(KeyRejected);
    expect(['NOT_ON_CURVE', 'UNSUPPORTED_KEY_TYPE', 'BAD_COORDINATE']).toContain(error.reason);
  });
});

describe('Ed25519 edge cases (C2SP/CCTV): low-order and non-canonical keys are refused at intake', () => {
  const all: { number: number; key: string; flags: string[] | null }[] = vectors(
    'ed25519/cctv_ed25519vectors.json',
  );
  const bad = all.filter((t) =>
    (t.flags ?? []).some((f) => ['low_order_A', 'non_canonical_A', 'low_order_component_A'].includes(f)),
  );
  const jwk = (keyHex: string) => ({ kty: 'OKP', crv: 'Ed25519', x: hex(keyHex).toString('base64url') });

  it('has flagged vectors to run', () => expect(bad.length).toBeGreaterThan(500));

  it.each(bad.map((t) => [t.number, t.flags!.join(','), t.key]))(
    'vector %i (%s) is refused',
    async (_n, _f, key) => {
      const error = await acceptPublicKey(jwk(key as string), 'EdDSA').catch((e) => e);
      expect(error).toBeInstanceOf(KeyRejected);
      expect(['SMALL_ORDER', 'NON_CANONICAL', 'MIXED_ORDER']).toContain(error.reason);
    },
  );

  it('refuses such a key again when a trust list is loaded, so its forged codes are UNKNOWN_KEY', async () => {
    const smallOrder = bad.find((t) => t.flags!.includes('low_order_A'))!;
    const x = hex(smallOrder.key).toString('base64url');
    const list = trustList([]);
    list.provinces.push({
      region: '330000',
      name: 'x',
      status: 'active',
      keys: [
        {
          kid: 'k'.repeat(43),
          alg: 'EdDSA',
          jwk: { kty: 'OKP', crv: 'Ed25519', x },
          notBefore: 0,
          notAfter: NOW + 1,
          status: 'active',
        },
      ],
    } as never);
    const snapshot = await buildSnapshot(list);
    expect(snapshot.keys.size).toBe(0);
    expect(snapshot.refusedKids).toEqual(['k'.repeat(43)]);
  });
});

describe('ed25519-speccheck: small-order keys never verify', () => {
  const cases: { message: string; pub_key: string; signature: string }[] = vectors(
    'ed25519/speccheck_cases.json',
  );

  it.each(cases.map((c, i) => [i, c]))(
    'case %i is either refused at intake or verified strictly',
    async (_i, c) => {
      const jwk = { kty: 'OKP', crv: 'Ed25519', x: hex(c.pub_key).toString('base64url') };
      const key = await acceptPublicKey(jwk, 'EdDSA').catch((e) => e);
      if (key instanceof KeyRejected)
        return expect(['SMALL_ORDER', 'NON_CANONICAL', 'MIXED_ORDER']).toContain(key.reason);
      const algorithm = algorithmByName('EdDSA')!;
      // Keys that pass intake are of prime order; Node's verifier must then agree with a strict RFC 8032 one.
      const ours = algorithm.verify(algorithm.importPublicKey(key.jwk), hex(c.message), hex(c.signature));
      const strict = ed25519.verify(hex(c.signature), hex(c.message), hex(c.pub_key), { zip215: false });
      expect(ours).toBe(strict);
    },
  );
});
