/**
 * SM2 with SM3 (GB/T 32918.2 / GM/T 0003.2): the published worked examples, cross-checks in both
 * directions against two independent implementations (`sm-crypto`, on jsbn with its own SM3, and
 * `sm-crypto-v2`, on @noble/curves 1.x with its own SM3), and the strictness ES256 has.
 *
 * Example vectors (hex), as reproduced in OpenSSL's test/sm2_internal_test.c (`sm2_sig_test`):
 * - GM/T 0003.5-2012 Annex A = GB/T 32918.5: the RECOMMENDED curve, the default ID
 *   `1234567812345678`, message "message digest", private key and nonce k below.
 * - draft-shen-sm2-ecdsa-02 §A.2 = the example of GB/T 32918.2 Annex A: the standard's own 256-bit
 *   TEST curve (not the recommended one) and ID `ALICE123@YAHOO.COM`.
 */
import { sm2 as smCryptoV1 } from 'sm-crypto';
import { sm2 as smCryptoV2 } from 'sm-crypto-v2';
import { algorithmByName } from '../../functions/core/algorithms';
import { decodeB64url } from '../../functions/core/b64';
import { KeyRejected } from '../../functions/core/errors';
import { verifyCode } from '../../functions/core/code/verify';
import { acceptPublicKey, generateSigningKey } from '../../functions/core/keys';
import { LocalKeySigner } from '../../functions/core/signer';
import { DEFAULT_ID, Sm2, sm2, SM2_P256V1, type Sm2CurveParams } from '../../functions/core/sm2';
import { code, codeHeader, claimsOf, forge, GD, NOW, province, snapshot, ZJ } from './fixtures';

const hex = (h: string) => Buffer.from(h, 'hex');
const big = (h: string) => BigInt('0x' + h);
const text = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

/** GB/T 32918.2 Annex A / draft-shen-sm2-ecdsa-02 test curve. */
const TEST_CURVE: Sm2CurveParams = {
  p: big('8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3'),
  a: big('787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498'),
  b: big('63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A'),
  Gx: big('421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D'),
  Gy: big('0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2'),
  n: big('8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7'),
};

const VECTORS = [
  {
    name: 'GM/T 0003.5-2012 Annex A (recommended curve, default ID)',
    curve: SM2_P256V1,
    id: DEFAULT_ID,
    d: '3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8',
    k: '59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21',
    r: 'F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3',
    s: 'B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA',
  },
  {
    name: 'GB/T 32918.2 Annex A / draft-shen-sm2-ecdsa-02 (test curve, ALICE123@YAHOO.COM)',
    curve: TEST_CURVE,
    id: 'ALICE123@YAHOO.COM',
    d: '128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263',
    k: '6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F',
    r: '40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1',
    s: '6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7',
  },
];

describe('SM2 example vectors', () => {
  it.each(VECTORS)('$name: signing with its k gives its (r, s), which verifies', (v) => {
    const curve = new Sm2(v.curve);
    const { x, y } = curve.publicPointOf(hex(v.d));
    const key = curve.publicKey(x, y, v.id);
    const sig = curve.sign(key, hex(v.d), text('message digest'), () => big(v.k));
    expect(Buffer.from(sig).toString('hex').toUpperCase()).toBe(v.r + v.s);
    expect(curve.verify(key, text('message digest'), sig)).toBe(true);
    expect(curve.verify(key, text('message digesT'), sig)).toBe(false);
    // The same signature under another ID (another Z) does not verify: Z is in the digest.
    expect(curve.verify(curve.publicKey(x, y, 'another id'), text('message digest'), sig)).toBe(false);
  });

  it('the registry SM2 entry verifies the GM/T 0003.5 example through key intake and the JWK form', async () => {
    const v = VECTORS[0];
    const { x, y } = sm2.publicPointOf(hex(v.d));
    const accepted = await acceptPublicKey({
      kty: 'EC',
      crv: 'SM2',
      x: x.toString('base64url'),
      y: y.toString('base64url'),
    });
    expect(accepted.alg).toBe('SM2');
    const alg = algorithmByName('SM2')!;
    const key = alg.importPublicKey(accepted.jwk);
    expect(alg.verify(key, text('message digest'), hex(v.r + v.s))).toBe(true);
    expect(alg.verify(key, text('message digest!'), hex(v.r + v.s))).toBe(false);
  });
});

describe('SM2 cross-checked with independent implementations', () => {
  const pubHexOf = (jwk: { x: string; y?: string }) =>
    '04' + decodeB64url(jwk.x)!.toString('hex') + decodeB64url(jwk.y!)!.toString('hex');

  it('hcx signs, sm-crypto and sm-crypto-v2 verify (default ID, SM3, Z)', async () => {
    for (let i = 0; i < 6; i++) {
      const generated = await generateSigningKey('SM2');
      const signer = await LocalKeySigner.fromPrivateJwk(generated.privateJwk);
      const message = Buffer.from(`{"iss":"330000","n":${i},"pad":"${'x'.repeat(i * 29)}"}`);
      const sig = Buffer.from(await signer.sign(message)).toString('hex');
      const pub = pubHexOf(generated.publicJwk);
      // Both derive the same public key from d: the curve parameters agree.
      expect(
        smCryptoV2.getPublicKeyFromPrivateKey(decodeB64url(generated.privateJwk.d)!.toString('hex')),
      ).toBe(pub);
      expect(smCryptoV1.doVerifySignature([...message], sig, pub, { hash: true })).toBe(true);
      expect(smCryptoV2.doVerifySignature(new Uint8Array(message), sig, pub, { hash: true })).toBe(true);
      // And they refuse it for another message: the check is not vacuous.
      expect(
        smCryptoV2.doVerifySignature(new Uint8Array(Buffer.from('other')), sig, pub, { hash: true }),
      ).toBe(false);
    }
  });

  it('sm-crypto and sm-crypto-v2 sign, hcx verifies', async () => {
    const alg = algorithmByName('SM2')!;
    for (let i = 0; i < 6; i++) {
      const pair = i % 2 ? smCryptoV1.generateKeyPairHex() : smCryptoV2.generateKeyPairHex();
      const pub = hex(pair.publicKey.slice(2));
      const jwk = {
        kty: 'EC',
        crv: 'SM2',
        x: pub.subarray(0, 32).toString('base64url'),
        y: pub.subarray(32).toString('base64url'),
      };
      const key = alg.importPublicKey((await acceptPublicKey(jwk, 'SM2')).jwk);
      const message = Buffer.from(`message ${i} ${'y'.repeat(i * 41)}`);
      const sig =
        i % 2
          ? smCryptoV1.doSignature([...message], pair.privateKey, { hash: true })
          : smCryptoV2.doSignature(new Uint8Array(message), pair.privateKey, { hash: true });
      expect(alg.verify(key, message, hex(sig.padStart(128, '0')))).toBe(true);
      expect(alg.verify(key, Buffer.concat([message, Buffer.from('.')]), hex(sig.padStart(128, '0')))).toBe(
        false,
      );
    }
  });

  it('a key used many times (precomputed table) still verifies and refuses exactly as before', async () => {
    const generated = await generateSigningKey('SM2');
    const signer = await LocalKeySigner.fromPrivateJwk(generated.privateJwk);
    const alg = algorithmByName('SM2')!;
    const key = alg.importPublicKey(generated.publicJwk);
    for (let i = 0; i < 5; i++) {
      const message = Buffer.from(`use ${i}`);
      const sig = await signer.sign(message);
      expect(alg.verify(key, message, sig)).toBe(true);
      expect(alg.verify(key, Buffer.from(`use ${i + 1}`), sig)).toBe(false);
    }
  });
});

describe('SM2 strictness (as ES256)', () => {
  const N = SM2_P256V1.n;
  const b32 = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');

  it('refuses r or s outside [1, n-1]', async () => {
    const generated = await generateSigningKey('SM2');
    const signer = await LocalKeySigner.fromPrivateJwk(generated.privateJwk);
    const alg = algorithmByName('SM2')!;
    const key = alg.importPublicKey(generated.publicJwk);
    const message = Buffer.from('strict');
    const sig = Buffer.from(await signer.sign(message));
    expect(alg.verify(key, message, sig)).toBe(true);
    const r = sig.subarray(0, 32);
    const s = sig.subarray(32);
    for (const bad of [
      Buffer.concat([b32(0n), s]),
      Buffer.concat([r, b32(0n)]),
      Buffer.concat([b32(N), s]),
      Buffer.concat([r, b32(N)]),
      Buffer.concat([b32(2n ** 256n - 1n), s]),
      Buffer.alloc(64),
      sig.subarray(0, 63),
    ]) {
      expect(alg.verify(key, message, bad)).toBe(false);
    }
  });

  it('refuses the malleable forms r + n and s + n (on the test curve, where they fit in 32 bytes)', () => {
    // On the recommended curve n > 2^256 - 2^224, so s + n rarely fits 32 bytes; on the test curve
    // (n < 2^255) it always does: the same code must refuse it although s + n ≡ s (mod n).
    const curve = new Sm2(TEST_CURVE);
    const { d, x, y } = curve.generate();
    const key = curve.publicKey(x, y);
    const message = text('malleable?');
    const sig = Buffer.from(curve.sign(key, d, message));
    expect(curve.verify(key, message, sig)).toBe(true);
    const r = big(sig.subarray(0, 32).toString('hex'));
    const s = big(sig.subarray(32).toString('hex'));
    expect(curve.verify(key, message, Buffer.concat([sig.subarray(0, 32), b32(s + TEST_CURVE.n)]))).toBe(
      false,
    );
    expect(curve.verify(key, message, Buffer.concat([b32(r + TEST_CURVE.n), sig.subarray(32)]))).toBe(false);
  });

  async function reasonOf(jwk: unknown, alg?: string): Promise<string> {
    try {
      await acceptPublicKey(jwk, alg);
    } catch (e) {
      if (e instanceof KeyRejected) return e.reason;
      throw e;
    }
    return 'ACCEPTED';
  }

  it('key intake: on-curve check, coordinates below p, no identity, the SM2/ES256 pairing, no private member', async () => {
    const { publicJwk, privateJwk } = await generateSigningKey('SM2');
    expect(await reasonOf(publicJwk)).toBe('ACCEPTED');
    expect(await reasonOf({ ...publicJwk, alg: 'SM2', use: 'sig' }, 'SM2')).toBe('ACCEPTED');
    const y = decodeB64url(publicJwk.y!)!;
    y[31] ^= 1;
    expect(await reasonOf({ ...publicJwk, y: y.toString('base64url') })).toBe('NOT_ON_CURVE');
    // (0, 0) stands for the identity in some encodings: not a point of the SM2 curve (b != 0).
    const zero = Buffer.alloc(32).toString('base64url');
    expect(await reasonOf({ kty: 'EC', crv: 'SM2', x: zero, y: zero })).toBe('NOT_ON_CURVE');
    // The alias x + p of a valid x (when it fits) and a coordinate of all ones: not below p.
    const ones = Buffer.alloc(32, 0xff).toString('base64url');
    expect(await reasonOf({ ...publicJwk, x: ones })).toBe('NOT_ON_CURVE');
    const xPlusP = big(decodeB64url(publicJwk.x)!.toString('hex')) + SM2_P256V1.p;
    if (xPlusP < 2n ** 256n)
      expect(await reasonOf({ ...publicJwk, x: b32(xPlusP).toString('base64url') })).toBe('NOT_ON_CURVE');
    // A P-256 point labelled SM2 is off the SM2 curve; an SM2 point labelled P-256 is off P-256.
    const p256 = (await generateSigningKey('ES256')).publicJwk;
    expect(await reasonOf({ ...p256, crv: 'SM2' })).toBe('NOT_ON_CURVE');
    expect(await reasonOf({ ...publicJwk, crv: 'P-256' })).toBe('NOT_ON_CURVE');
    expect(await reasonOf(publicJwk, 'ES256')).toBe('ALG_MISMATCH');
    expect(await reasonOf({ ...publicJwk, alg: 'ES256' })).toBe('ALG_MISMATCH');
    expect(await reasonOf({ ...publicJwk, x: publicJwk.x.slice(1) })).toBe('BAD_COORDINATE');
    expect(await reasonOf(privateJwk)).toBe('PRIVATE_MEMBER');
  });

  it('a key file whose d does not belong to its public key is refused', async () => {
    const a = await generateSigningKey('SM2');
    const b = await generateSigningKey('SM2');
    const mixed = { ...a.privateJwk, d: b.privateJwk.d };
    const error = await LocalKeySigner.fromPrivateJwk(mixed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyRejected);
    expect((error as KeyRejected).reason).toBe('KEY_MISMATCH');
  });
});

describe('SM2 codes beside ES256 codes in one registry', () => {
  it('verifies both, and refuses a code whose header names the other algorithm (UNSUPPORTED_ALG)', async () => {
    const zj = await province(ZJ, 'SM2');
    const gd = await province(GD, 'ES256');
    const registry = await snapshot([zj, gd]);
    const reasons = async (c: string) =>
      (await verifyCode(c, registry, { now: NOW })).reasons.map((r: { code: string }) => r.code);
    const sm2Code = (await code(zj)).code;
    const es256Code = (await code(gd)).code;
    expect((await verifyCode(sm2Code, registry, { now: NOW })).result).toBe('valid');
    expect((await verifyCode(es256Code, registry, { now: NOW })).result).toBe('valid');
    // Algorithm confusion: the SM2 key's kid with alg ES256, and the ES256 key's kid with alg SM2.
    expect(await reasons(await forge(zj, { ...codeHeader(zj), alg: 'ES256' }, claimsOf(sm2Code)))).toEqual([
      'UNSUPPORTED_ALG',
    ]);
    expect(await reasons(await forge(gd, { ...codeHeader(gd), alg: 'SM2' }, claimsOf(es256Code)))).toEqual([
      'UNSUPPORTED_ALG',
    ]);
  });
});
