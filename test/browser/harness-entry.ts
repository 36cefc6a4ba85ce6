/**
 * The shared core as the browser tests drive it: the very modules the checkpoint page bundles
 * (built with web/build.ts's browser options: WebCrypto primitive, noble hashes, buffer polyfill).
 */
import { algorithmByName } from '../../functions/core/algorithms';
import { verifyCode } from '../../functions/core/code/verify';
import { acceptPublicKey } from '../../functions/core/keys';
import { buildSnapshot } from '../../functions/core/registry';
import type { TrustList } from '../../functions/core/schemas/types.gen';

const hex = (s: string) => Buffer.from(s, 'hex');

/** Exactly what test/core/vectors.test.ts does in Node: key intake, length check, verify. */
async function verifyWith(alg: string, jwk: object, msg: string, sig: string): Promise<boolean> {
  try {
    const key = await acceptPublicKey(jwk, alg);
    const algorithm = algorithmByName(alg)!;
    const s = hex(sig);
    return (
      s.length === algorithm.signatureLength &&
      (await algorithm.verify(algorithm.importPublicKey(key.jwk), hex(msg), s))
    );
  } catch {
    return false;
  }
}

async function verifyCodes(list: TrustList, codes: string[], now: number) {
  const registry = await buildSnapshot(list);
  const out = [];
  for (const c of codes) out.push(await verifyCode(c, registry, { now }));
  return out;
}

/** Milliseconds per verifyCode of each code (each must be valid), then one with a holder check. */
async function timeVerify(
  list: TrustList,
  codes: string[],
  now: number,
  holder: { idType: string; idNumber: string },
): Promise<number[]> {
  const registry = await buildSnapshot(list);
  const ms: number[] = [];
  for (const c of [...codes, codes[0]]) {
    const started = performance.now();
    const r = await verifyCode(c, registry, { now, holder: ms.length === codes.length ? holder : undefined });
    ms.push(performance.now() - started);
    if (r.result !== 'valid') throw new Error(`bench code not valid: ${r.reasons.map((x) => x.code).join()}`);
  }
  return ms;
}

Object.assign(window, { hcxCore: { verifyWith, verifyCodes, timeVerify, webCrypto: typeof crypto.subtle } });
