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

Object.assign(window, { hcxCore: { verifyWith, verifyCodes, webCrypto: typeof crypto.subtle } });
