/** SECURITY.md "Key intake": each refusal by its stable reason. */
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { KeyRejected } from '../../functions/core/errors';
import { acceptPublicKey, generateSigningKey, thumbprint } from '../../functions/core/keys';

const reasonOf = async (jwk: unknown, alg?: string) => {
  const e = await acceptPublicKey(jwk, alg).catch((x) => x);
  expect(e).toBeInstanceOf(KeyRejected);
  return (e as KeyRejected).reason;
};

describe('acceptPublicKey', () => {
  it('accepts a P-256, an Ed25519 and an SM2 public key and names them by their RFC 7638 thumbprint', async () => {
    for (const alg of ['ES256', 'EdDSA', 'SM2']) {
      const key = await generateSigningKey(alg);
      const accepted = await acceptPublicKey({ ...key.publicJwk, use: 'sig', alg, kid: key.kid });
      expect(accepted.alg).toBe(alg);
      expect(accepted.kid).toBe(await calculateJwkThumbprint(key.publicJwk as never));
      expect(accepted.kid).toBe(await thumbprint(key.publicJwk));
    }
  });

  it('refuses a private key (d member)', async () => {
    const key = await generateSigningKey();
    expect(await reasonOf(key.privateJwk)).toBe('PRIVATE_MEMBER');
  });

  it('refuses RSA and oct keys', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    expect(await reasonOf(rsa)).toBe('UNSUPPORTED_KEY_TYPE');
    expect(await reasonOf({ kty: 'oct', k: 'c2VjcmV0' })).toBe('PRIVATE_MEMBER');
    expect(await reasonOf({ kty: 'oct' })).toBe('UNSUPPORTED_KEY_TYPE');
  });

  it('refuses a wrong curve', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' });
    expect(await reasonOf(p384)).toBe('UNSUPPORTED_KEY_TYPE');
    expect(await reasonOf(k1)).toBe('UNSUPPORTED_KEY_TYPE');
  });

  it('refuses a point that is not on the curve', async () => {
    const key = await generateSigningKey();
    const y = Buffer.from(key.publicJwk.y!, 'base64url');
    y[31] ^= 1;
    expect(await reasonOf({ ...key.publicJwk, y: y.toString('base64url') })).toBe('NOT_ON_CURVE');
  });

  it('refuses a small-order Ed25519 key', async () => {
    expect(
      await reasonOf({ kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32).toString('base64url') }, 'EdDSA'),
    ).toBe('SMALL_ORDER');
  });

  it('refuses use, key_ops and alg members that contradict a signature-verification key', async () => {
    const key = await generateSigningKey();
    expect(await reasonOf({ ...key.publicJwk, use: 'enc' })).toBe('WRONG_USE');
    expect(await reasonOf({ ...key.publicJwk, key_ops: ['sign'] })).toBe('WRONG_USE');
    expect(await reasonOf({ ...key.publicJwk, key_ops: ['verify', 'encrypt'] })).toBe('WRONG_USE');
    expect(await reasonOf({ ...key.publicJwk, alg: 'EdDSA' })).toBe('ALG_MISMATCH');
    expect(await reasonOf(key.publicJwk, 'EdDSA')).toBe('ALG_MISMATCH');
  });

  it('refuses a kid that is not the key thumbprint', async () => {
    const key = await generateSigningKey();
    expect(await reasonOf({ ...key.publicJwk, kid: 'my-key-1' })).toBe('KID_MISMATCH');
  });

  it('refuses unknown members and non-objects', async () => {
    const key = await generateSigningKey();
    expect(await reasonOf({ ...key.publicJwk, x5u: 'https://attacker.example' })).toBe('UNEXPECTED_MEMBER');
    expect(await reasonOf('not a key')).toBe('NOT_A_JWK');
    expect(await reasonOf([key.publicJwk])).toBe('NOT_A_JWK');
  });
});
