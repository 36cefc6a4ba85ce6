/**
 * The KMS signer against aws-sdk-client-mock, whose answers come from a REAL local P-256 key (so
 * what it signs must verify with the core), and the DER -> R‖S converter against the Wycheproof
 * DER vectors (test/vectors/wycheproof/ecdsa_secp256r1_sha256_test.json, Apache-2.0).
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { p256 } from '@noble/curves/nist.js';
import { mockClient } from 'aws-sdk-client-mock';
import { sm2 as smCryptoV1 } from 'sm-crypto';
import { sm2 as smCryptoV2 } from 'sm-crypto-v2';
import { algorithmByName } from '../../functions/core/algorithms';
import { decodeB64url } from '../../functions/core/b64';
import { derToJose } from '../../functions/core/ecdsa-der';
import { HcxError } from '../../functions/core/errors';
import { parseCompactJws } from '../../functions/core/jws/compact';
import { signCompactJws } from '../../functions/core/jws/sign';
import { generateSigningKey, shortKid } from '../../functions/core/keys';
import { KmsSigner } from '../../functions/aws/kms-signer';
import { CODE_PROFILE } from '../../functions/core/profiles';

const KEY_ARN = 'arn:aws:kms:cn-north-1:123456789012:key/11111111-2222-3333-4444-555555555555';

async function kmsBackedByRealKey() {
  const key = await generateSigningKey('ES256');
  const secret = decodeB64url(key.privateJwk.d) as Uint8Array;
  const spki = createPublicKey({ key: { ...key.publicJwk }, format: 'jwk' }).export({
    type: 'spki',
    format: 'der',
  });
  const kms = mockClient(KMSClient);
  kms.on(GetPublicKeyCommand).resolves({
    KeyId: KEY_ARN,
    KeySpec: 'ECC_NIST_P256',
    KeyUsage: 'SIGN_VERIFY',
    PublicKey: new Uint8Array(spki),
    SigningAlgorithms: ['ECDSA_SHA_256'],
  });
  kms.on(SignCommand).callsFake((input: { Message: Uint8Array; MessageType: string }) => ({
    KeyId: KEY_ARN,
    SigningAlgorithm: 'ECDSA_SHA_256',
    // KMS signs the digest it is given and answers in DER; lowS off, as KMS does not normalise s.
    Signature: p256.sign(input.Message, secret, { prehash: false, format: 'der', lowS: false }),
  }));
  return { key, kms, client: new KMSClient({ region: 'cn-north-1' }) };
}

describe('KmsSigner', () => {
  it('derives the kid from the KMS public key and signs JWS that the core verifies', async () => {
    const { key, kms, client } = await kmsBackedByRealKey();
    const signer = await KmsSigner.create({ client, keyId: 'alias/hcx-issuer' });
    expect(signer.kid).toBe(key.kid);
    expect(signer.alg).toBe('ES256');
    const es256 = algorithmByName('ES256')!;
    const publicKey = es256.importPublicKey(signer.publicJwk);
    for (let i = 0; i < 16; i++) {
      const jws = await signCompactJws(
        signer,
        CODE_PROFILE.typ,
        { n: i, pad: 'x'.repeat(i * 37) },
        shortKid(signer.kid),
      );
      const parsed = parseCompactJws(jws, CODE_PROFILE);
      expect(parsed.kid).toBe(shortKid(key.kid));
      expect(es256.verify(publicKey, parsed.signingInput, parsed.signature)).toBe(true);
    }
    const signCalls = kms.commandCalls(SignCommand);
    expect(signCalls[0].args[0].input).toMatchObject({
      KeyId: KEY_ARN,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    expect(signCalls[0].args[0].input.Message).toHaveLength(32);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
    kms.restore();
  });

  it('answers a retryable ServiceUnavailable when KMS throttles', async () => {
    const { kms, client } = await kmsBackedByRealKey();
    const signer = await KmsSigner.create({ client, keyId: KEY_ARN });
    // What the SDK throws for KMS's ThrottlingException (KMS models no class for it).
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    kms.on(SignCommand).rejects(throttled);
    await expect(signer.sign(Buffer.from('data'))).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      status: 503,
      retryable: true,
    });
    kms.restore();
  });

  it('refuses a KMS key that is not an ECC_NIST_P256 signing key', async () => {
    const kms = mockClient(KMSClient);
    kms
      .on(GetPublicKeyCommand)
      .resolves({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', PublicKey: new Uint8Array(8) });
    await expect(
      KmsSigner.create({ client: new KMSClient({ region: 'cn-north-1' }), keyId: KEY_ARN }),
    ).rejects.toMatchObject({
      code: 'KEY_REJECTED',
    });
    kms.restore();
  });
});

/**
 * An SM2 key in KMS (China regions): GetPublicKey answers KeySpec `SM2` with the SPKI DER
 * (id-ecPublicKey + sm2p256v1), Sign takes `SM2DSA` and answers DER. The mocked Sign signs the
 * digest it receives with `sm-crypto` (an implementation independent of hcx's), as KMS signs the
 * e = SM3(Z‖M) it is given with MessageType DIGEST.
 */
async function kmsBackedByRealSm2Key() {
  const key = await generateSigningKey('SM2');
  const d = decodeB64url(key.privateJwk.d)!.toString('hex');
  const point = Buffer.concat([decodeB64url(key.publicJwk.x)!, decodeB64url(key.publicJwk.y!)!]);
  const spki = Buffer.concat([
    Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d03420004', 'hex'),
    point,
  ]);
  const arn = KEY_ARN.replace('11111111', '22222222');
  const kms = mockClient(KMSClient);
  kms.on(GetPublicKeyCommand).resolves({
    KeyId: arn,
    KeySpec: 'SM2',
    KeyUsage: 'SIGN_VERIFY',
    PublicKey: new Uint8Array(spki),
    SigningAlgorithms: ['SM2DSA'],
  });
  kms.on(SignCommand).callsFake((input: { Message: Uint8Array }) => ({
    KeyId: arn,
    SigningAlgorithm: 'SM2DSA',
    Signature: new Uint8Array(
      Buffer.from(smCryptoV1.doSignature([...input.Message], d, { hash: false, der: true }), 'hex'),
    ),
  }));
  return {
    key,
    kms,
    arn,
    pubHex: '04' + point.toString('hex'),
    client: new KMSClient({ region: 'cn-north-1' }),
  };
}

describe('KmsSigner with an SM2 key', () => {
  it('sends e = SM3(Z‖M) (default ID) as a DIGEST with SM2DSA and signs JWS the core verifies', async () => {
    const { key, kms, arn, pubHex, client } = await kmsBackedByRealSm2Key();
    const signer = await KmsSigner.create({ client, keyId: 'alias/hcx-issuer' });
    expect(signer.alg).toBe('SM2');
    expect(signer.kid).toBe(key.kid);
    const alg = algorithmByName('SM2')!;
    const publicKey = alg.importPublicKey(signer.publicJwk);
    for (let i = 0; i < 6; i++) {
      const jws = await signCompactJws(
        signer,
        CODE_PROFILE.typ,
        { n: i, pad: 'z'.repeat(i * 53) },
        shortKid(signer.kid),
      );
      const parsed = parseCompactJws(jws, CODE_PROFILE);
      expect(parsed.alg.name).toBe('SM2');
      expect(alg.verify(publicKey, parsed.signingInput, parsed.signature)).toBe(true);
      const sent = kms.commandCalls(SignCommand)[i].args[0].input;
      expect(sent).toMatchObject({ KeyId: arn, MessageType: 'DIGEST', SigningAlgorithm: 'SM2DSA' });
      // The digest is the one an independent implementation computes with the default ID.
      expect(Buffer.from(sent.Message!).toString('hex')).toBe(
        smCryptoV2.getHash(parsed.signingInput, pubHex),
      );
    }
    kms.restore();
  });

  it('refuses an SM2 key spec whose public key is not an SM2 SPKI', async () => {
    const kms = mockClient(KMSClient);
    const p256 = await generateSigningKey('ES256');
    const spki = createPublicKey({ key: { ...p256.publicJwk }, format: 'jwk' }).export({
      type: 'spki',
      format: 'der',
    });
    kms
      .on(GetPublicKeyCommand)
      .resolves({ KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY', PublicKey: new Uint8Array(spki) });
    await expect(
      KmsSigner.create({ client: new KMSClient({ region: 'cn-north-1' }), keyId: KEY_ARN }),
    ).rejects.toMatchObject({ code: 'KEY_REJECTED', reason: 'NOT_A_JWK' });
    kms.restore();
  });
});

interface WycheproofGroup {
  publicKey: { wx: string; wy: string; uncompressed: string };
  tests: {
    tcId: number;
    msg: string;
    sig: string;
    result: 'valid' | 'invalid' | 'acceptable';
    flags: string[];
  }[];
}

const vectors = JSON.parse(
  readFileSync(join(__dirname, '../vectors/wycheproof/ecdsa_secp256r1_sha256_test.json'), 'utf8'),
) as { testGroups: WycheproofGroup[] };
/** Flags of signatures whose DER form itself is wrong: derToJose must refuse them. */
const ENCODING_FLAGS = new Set(['BerEncodedSignature', 'InvalidEncoding', 'MissingZero']);

function publicJwk(group: WycheproofGroup) {
  // Wycheproof keys are any valid P-256 point; build the JWK from the uncompressed point.
  const point = Buffer.from(group.publicKey.uncompressed, 'hex');
  return {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33).toString('base64url'),
  };
}

function throughConverter(
  group: WycheproofGroup,
  t: WycheproofGroup['tests'][number],
): 'verified' | 'refused' | 'failed' {
  let jose: Uint8Array;
  try {
    jose = derToJose(Buffer.from(t.sig, 'hex'));
  } catch (e) {
    expect(e).toBeInstanceOf(HcxError);
    expect((e as HcxError).code).toBe('SIGNATURE_ENCODING_INVALID');
    return 'refused';
  }
  const es256 = algorithmByName('ES256')!;
  const key = es256.importPublicKey(publicJwk(group));
  return es256.verify(key, Buffer.from(t.msg, 'hex'), jose) ? 'verified' : 'failed';
}

describe('derToJose with the Wycheproof DER vectors', () => {
  const all = vectors.testGroups.flatMap((g) => g.tests.map((t) => ({ g, t })));

  it('converts every valid signature to R‖S that verifies', () => {
    const valid = all.filter(({ t }) => t.result === 'valid');
    expect(valid.length).toBeGreaterThan(100);
    const outcomes = valid.map(({ g, t }) => [t.tcId, throughConverter(g, t)]);
    expect(outcomes.filter(([, o]) => o !== 'verified')).toEqual([]);
  });

  it('refuses every BER, non-minimal or otherwise malformed DER encoding', () => {
    const badEncoding = all.filter(({ t }) => t.flags.some((f) => ENCODING_FLAGS.has(f)));
    expect(badEncoding.length).toBeGreaterThan(90);
    const outcomes = badEncoding.map(({ g, t }) => [t.tcId, throughConverter(g, t)]);
    expect(outcomes.filter(([, o]) => o !== 'refused')).toEqual([]);
  });

  it('never lets an invalid vector verify', () => {
    const invalid = all.filter(({ t }) => t.result === 'invalid');
    const outcomes = invalid.map(({ g, t }) => [t.tcId, throughConverter(g, t)]);
    expect(outcomes.filter(([, o]) => o === 'verified')).toEqual([]);
  });

  it('left-pads short integers and strips the sign byte', () => {
    const der = Buffer.from('300702010102020080', 'hex');
    const jose = derToJose(der);
    expect(Buffer.from(jose.subarray(0, 32)).toString('hex')).toBe('00'.repeat(31) + '01');
    expect(Buffer.from(jose.subarray(32)).toString('hex')).toBe('00'.repeat(31) + '80');
  });

  it.each([
    ['long-form sequence length', '30810702010102020080'],
    ['trailing byte', '30070201010202008000'],
    ['negative integer', '3006020101020180'],
    ['non-minimal integer', '300702010102020001'],
    ['wrong tag', '3006030101020101'],
    ['integer longer than 33 bytes', `3026020101022101${'ff'.repeat(32)}`],
  ])('refuses %s', (_name, hex) => {
    expect(() => derToJose(Buffer.from(hex, 'hex'))).toThrow(HcxError);
  });
});
