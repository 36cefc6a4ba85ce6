/**
 * The few node:crypto functions the shared core uses besides signature verification, for the page
 * (web/build.ts resolves `node:crypto` here): SHA-256 for key thumbprints and log hashes and scrypt
 * for the holder binding, from @noble/hashes (audited; WebCrypto has no scrypt and only an async
 * SHA-256), SM3 for SM2 signatures from sm-crypto (neither WebCrypto nor @noble/hashes has it),
 * and randomness from WebCrypto. Signing and key generation do not exist in the page.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
// sm-crypto's SM3 on its own, without its SM2 (and jsbn): the page only needs the hash.
import { sm3 } from 'sm-crypto/src/sm2/sm3';
import { Buffer } from './buffer';

type Input = string | Uint8Array;
const utf8 = new TextEncoder();
const asBytes = (data: Input) => (typeof data === 'string' ? utf8.encode(data) : data);

/** SM3 (GB/T 32905) over one message: sm-crypto's implementation (bytes in, bytes out; ~2 KB gzipped). */
function sm3Hasher() {
  const parts: Uint8Array[] = [];
  return {
    update: (data: Uint8Array) => void parts.push(data),
    digest: () => Uint8Array.from(sm3(Buffer.concat(parts))),
  };
}

/**
 * `createHash('sha256' | 'sm3')` for one or more updates and one digest. SM3 is for SM2 signatures
 * (functions/core/sm2.ts: Z and e = SM3(Z‖M)); WebCrypto has no SM3.
 */
export function createHash(algorithm: string) {
  const h = algorithm === 'sha256' ? sha256.create() : algorithm === 'sm3' ? sm3Hasher() : undefined;
  if (!h) throw new Error(`${algorithm} is not available in the page`);
  const api = {
    update(data: Input) {
      h.update(asBytes(data));
      return api;
    },
    digest(encoding?: BufferEncoding) {
      const out = Buffer.from(h.digest());
      return encoding ? out.toString(encoding) : out;
    },
  };
  return api;
}

export function randomBytes(n: number): Buffer {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(n)));
}

export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) throw new RangeError('Input buffers must have the same byte length');
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Node's callback scrypt over @noble/hashes (same parameters, same output). */
export function scrypt(
  password: Uint8Array,
  salt: Uint8Array,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem?: number },
  callback: (err: Error | null, key: Buffer) => void,
): void {
  scryptAsync(password, salt, {
    N: options.N,
    r: options.r,
    p: options.p,
    dkLen: keylen,
    maxmem: options.maxmem,
  })
    .then((key) => callback(null, Buffer.from(key)))
    .catch((e: unknown) => callback(e as Error, Buffer.alloc(0)));
}

function unavailable(name: string) {
  return () => {
    throw new Error(`${name} is not available in the page`);
  };
}

export const generateKeyPair = unavailable('generateKeyPair');
export const createPrivateKey = unavailable('createPrivateKey');
export const createPublicKey = unavailable('createPublicKey (the page verifies through signature-primitive)');
export const sign = unavailable('sign');
export const verify = unavailable('verify (the page verifies through signature-primitive)');
