/**
 * SM2 verification throughput beside ES256, in the same run: a full `verifyCode` of an SM2 code vs
 * an ES256 code (interleaved rounds, median ratio), and the raw SM2 primitive of hcx (sm2.ts on
 * @noble/curves + OpenSSL SM3) vs the `sm-crypto-v2` and `sm-crypto` libraries on the same
 * signature, which is the measurement behind the choice of implementation (docs/contract.md).
 */
import { createPublicKey, verify } from 'node:crypto';
import { sm2 as smCryptoV1 } from 'sm-crypto';
import { sm2 as smCryptoV2 } from 'sm-crypto-v2';
import { algorithmByName } from '../functions/core/algorithms';
import { verifyCode } from '../functions/core/code/verify';
import { generateSigningKey } from '../functions/core/keys';
import { verifyFixture } from './verify-fixture';
import { median } from './stats';

export interface Sm2BenchResult {
  /** Full verifyCode of an SM2 code, single-threaded. */
  sm2VerifyPerSecond: number;
  /** The same for an ES256 code, measured alternately with it. */
  es256VerifyPerSecond: number;
  /** sm2VerifyPerSecond / es256VerifyPerSecond (median of the per-round ratios). */
  sm2ToEs256VerifyRatio: number;
  /** The signature check alone: hcx's SM2, sm-crypto-v2 (precomputed key), sm-crypto, and ES256 (OpenSSL). */
  sm2PrimitivePerSecond: number;
  smCryptoV2PrimitivePerSecond: number;
  smCryptoPrimitivePerSecond: number;
  es256PrimitivePerSecond: number;
}

/** Calls per second of `f` over about `ms` milliseconds. */
async function rate(f: () => unknown, ms: number): Promise<number> {
  let n = 0;
  const t = performance.now();
  while (performance.now() - t < ms) {
    await f();
    n++;
  }
  return n / ((performance.now() - t) / 1000);
}

/** Run the SM2 benchmark, printing progress to stderr. */
export async function runSm2Bench(log: (line: string) => void = console.error): Promise<Sm2BenchResult> {
  const es = await verifyFixture();
  const sm = await verifyFixture((await generateSigningKey('SM2')).privateJwk);
  for (const f of [es, sm]) {
    const check = await verifyCode(f.code, f.registry, { now: f.now });
    if (check.result !== 'valid')
      throw new Error(`benchmark code does not verify: ${JSON.stringify(check.reasons)}`);
  }
  const full = (f: typeof es) => () => verifyCode(f.code, f.registry, { now: f.now });
  await rate(full(es), 500); // warm-up (and the SM2 key's precomputed table)
  await rate(full(sm), 500);
  const esRates: number[] = [];
  const smRates: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < 5; round++) {
    const first = round % 2 === 0 ? es : sm;
    const a = await rate(full(first), 1000);
    const b = await rate(full(first === es ? sm : es), 1000);
    const [esRate, smRate] = first === es ? [a, b] : [b, a];
    esRates.push(esRate);
    smRates.push(smRate);
    ratios.push(smRate / esRate);
    log(
      `  round ${round + 1}/5: ES256 ${esRate.toFixed(0)}/s, SM2 ${smRate.toFixed(0)}/s, ratio ${(smRate / esRate).toFixed(3)}`,
    );
  }

  // The primitives on the SM2 code's own signature.
  const [h, p, s] = sm.code.slice(5).split('.');
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const alg = algorithmByName('SM2')!;
  const key = alg.importPublicKey(sm.publicJwk as never);
  const jwk = sm.publicJwk as { x: string; y: string };
  const pubHex =
    '04' + Buffer.from(jwk.x, 'base64url').toString('hex') + Buffer.from(jwk.y, 'base64url').toString('hex');
  const sigHex = sig.toString('hex');
  const precomputed = smCryptoV2.precomputePublicKey(pubHex);
  const dataArray = new Uint8Array(data);
  const dataBytes = [...data];
  if (
    !alg.verify(key, data, sig) ||
    !smCryptoV2.doVerifySignature(dataArray, sigHex, precomputed, { hash: true })
  ) {
    throw new Error('the SM2 signature does not verify in both implementations');
  }
  const [eh, ep, es2] = es.code.slice(5).split('.');
  const esData = Buffer.from(`${eh}.${ep}`);
  const esSig = Buffer.from(es2, 'base64url');
  const esKey = createPublicKey({ key: es.publicJwk as never, format: 'jwk' });
  const result: Sm2BenchResult = {
    sm2VerifyPerSecond: Math.round(median(smRates)),
    es256VerifyPerSecond: Math.round(median(esRates)),
    sm2ToEs256VerifyRatio: Number(median(ratios).toFixed(3)),
    sm2PrimitivePerSecond: Math.round(await rate(() => alg.verify(key, data, sig), 1500)),
    smCryptoV2PrimitivePerSecond: Math.round(
      await rate(() => smCryptoV2.doVerifySignature(dataArray, sigHex, precomputed, { hash: true }), 1500),
    ),
    smCryptoPrimitivePerSecond: Math.round(
      await rate(() => smCryptoV1.doVerifySignature(dataBytes, sigHex, pubHex, { hash: true }), 1500),
    ),
    es256PrimitivePerSecond: Math.round(
      await rate(() => verify('sha256', esData, { key: esKey, dsaEncoding: 'ieee-p1363' }, esSig), 1500),
    ),
  };
  return result;
}
