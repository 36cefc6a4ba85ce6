/**
 * The attack-vector table of SECURITY.md "Codes and every other JWS the system reads": each row
 * turns a genuine ES256 code (and the real key that signed it) into a forged or malformed one and
 * names the one reason code it must get. test/core/jws-attacks.test.ts drives the table at the core
 * (`verifyCode`), test/security/codes.test.ts over HTTP (POST /v1/codes/verify on an embedded node).
 */
import type { ReasonCode } from '../../functions/core/errors';
import { LIMITS } from '../../functions/core/profiles';
import type { Signer } from '../../functions/core/signer';
import { b64, codeHeader, forge, GD, segments } from './domain';

/** P-256 group order, and a 32-byte big-endian integer. */
export const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
export const int32 = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(64, '0'), 'hex');

/** What a row starts from: a genuine HCX2 code, its claims, and the ES256 key that signed it. */
export interface AttackTarget {
  readonly genuine: string;
  readonly claims: Record<string, unknown>;
  readonly signer: Signer;
}

/** One row: what is wrong with the code, the reason it must get, and how to make it. */
export interface CodeAttack {
  readonly name: string;
  readonly reason: ReasonCode;
  readonly make: (t: AttackTarget) => string | Promise<string>;
}

const withHeader = (over: Record<string, unknown>) => (t: AttackTarget) =>
  forge(t.signer, { ...codeHeader(t.signer), ...over }, t.claims);
const withPayload = (payload: (t: AttackTarget) => object | string | Buffer) => (t: AttackTarget) =>
  forge(t.signer, codeHeader(t.signer), payload(t));
const withSegments = (mutate: (h: string, p: string, s: string) => string) => (t: AttackTarget) => {
  const mutated = mutate(...segments(t.genuine));
  if (mutated === t.genuine.slice(5)) throw new Error('the mutation left the code unchanged');
  return `HCX2:${mutated}`;
};
const withSignature = (mutate: (sig: Buffer) => Buffer) => (t: AttackTarget) => {
  const [h, p, s] = segments(t.genuine);
  return `HCX2:${h}.${p}.${b64(mutate(Buffer.from(s, 'base64url')))}`;
};

const ALGS = [
  'none',
  'None',
  'NONE',
  'nOnE',
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'PS256',
  'ES384',
  'es256',
  '',
];
const TYPS = [
  'hcx-trust-list+jws',
  'hcx-trust-list-delta+jws',
  'hcx-request+jws',
  'JWT',
  'HCX-CODE+JWS',
  undefined,
];

export const CODE_ATTACKS: readonly CodeAttack[] = [
  ...ALGS.map((alg): CodeAttack => ({
    name: `alg ${JSON.stringify(alg)} (before any key lookup)`,
    reason: 'UNSUPPORTED_ALG',
    make: (t) => {
      const h = b64(JSON.stringify({ ...codeHeader(t.signer), alg }));
      return `HCX2:${h}.${segments(t.genuine)[1]}.${b64(Buffer.alloc(32, 7))}`;
    },
  })),
  {
    name: "an algorithm other than the key's own",
    reason: 'UNSUPPORTED_ALG',
    make: withHeader({ alg: 'EdDSA' }),
  },
  ...(
    [
      ['jwk', (t: AttackTarget) => t.signer.publicJwk],
      ['jku', () => 'https://attacker.example/jwks.json'],
      ['x5u', () => 'https://attacker.example/cert.pem'],
      ['x5c', () => ['MIIBszCCAVmgAwIBAgIUQ']],
      ['crit', () => ['exp']],
      ['b64', () => false],
    ] as const
  ).map(([header, value]): CodeAttack => ({
    name: `a ${header} header`,
    reason: 'FORBIDDEN_HEADER',
    make: (t) => withHeader({ [header]: value(t) })(t),
  })),
  ...(
    [
      ['a path', '../../../../etc/passwd'],
      ['SQL', "' OR '1'='1' -- aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
      ['a URL', 'https://attacker.example/k'],
      ['1 KB long', 'A'.repeat(1024)],
      ['a number', 7],
      ['an object', { $ne: null }],
      ['a thumbprint with one character too many', `${'A'.repeat(43)}A`],
    ] as const
  ).map(([what, kid]): CodeAttack => ({
    name: `a kid that is ${what}`,
    reason: 'MALFORMED',
    make: withHeader({ kid }),
  })),
  ...TYPS.map((typ): CodeAttack => ({
    name: `typ ${JSON.stringify(typ)}`,
    reason: 'MALFORMED',
    make: withHeader({ typ }),
  })),
  {
    name: 'a payload repeating a member (iss Guangdong, then the genuine iss)',
    reason: 'MALFORMED',
    make: withPayload((t) => JSON.stringify(t.claims).replace('{', `{"iss":"${GD}",`)),
  },
  {
    name: 'a header repeating a member',
    reason: 'MALFORMED',
    make: (t) =>
      forge(t.signer, JSON.stringify(codeHeader(t.signer)).replace('{', '{"alg":"none",'), t.claims),
  },
  ...(
    [
      ['= padding on the payload', (h: string, p: string, s: string) => `${h}.${p}==.${s}`],
      ['= padding on the signature', (h: string, p: string, s: string) => `${h}.${p}.${s}=`],
      [
        'a space inside a segment',
        (h: string, p: string, s: string) => `${h}.${p.slice(0, 5)} ${p.slice(5)}.${s}`,
      ],
      ['a newline inside a segment', (h: string, p: string, s: string) => `${h}\n.${p}.${s}`],
      ['a trailing newline', (h: string, p: string, s: string) => `${h}.${p}.${s}\n`],
      [
        'standard base64 characters',
        (h: string, p: string, s: string) => `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}+`,
      ],
      [
        'non-zero unused bits in the last signature character',
        (h: string, p: string, s: string) =>
          `${h}.${p}.${s.slice(0, -1)}${String.fromCharCode(s.charCodeAt(s.length - 1) + 1)}`,
      ],
    ] as const
  ).map(([what, mutate]): CodeAttack => ({
    name: `a segment with ${what}`,
    reason: 'MALFORMED',
    make: withSegments(mutate),
  })),
  ...(
    [
      ['no HCX2: prefix', (t: AttackTarget) => t.genuine.slice(5)],
      ['two segments', (t: AttackTarget) => `HCX2:${segments(t.genuine).slice(0, 2).join('.')}`],
      ['four segments', (t: AttackTarget) => `HCX2:${t.genuine.slice(5)}.${segments(t.genuine)[2]}`],
      ['an empty payload', (t: AttackTarget) => `HCX2:${segments(t.genuine)[0]}..${segments(t.genuine)[2]}`],
      ['an empty signature', (t: AttackTarget) => `HCX2:${segments(t.genuine).slice(0, 2).join('.')}.`],
      [
        'JSON serialization',
        (t: AttackTarget) => {
          const [protectedHeader, payload, signature] = segments(t.genuine);
          return `HCX2:${JSON.stringify({ protected: protectedHeader, payload, signature })}`;
        },
      ],
      [
        'a non-object header',
        (t: AttackTarget) => `HCX2:${b64('[1]')}.${segments(t.genuine).slice(1).join('.')}`,
      ],
      [
        'invalid UTF-8 in its header',
        (t: AttackTarget) =>
          `HCX2:${b64(Buffer.from([0x7b, 0xff, 0x7d]))}.${segments(t.genuine).slice(1).join('.')}`,
      ],
      ['two bare segments', () => 'HCX2:a.b'],
      ['four bare segments', () => 'HCX2:a.b.c.d'],
      ['an empty payload between foreign segments', () => 'HCX2:eyJhbGciOiJFUzI1NiJ9..c2ln'],
      ['an empty signature after empty objects', () => `HCX2:${b64('{}')}.${b64('{}')}.`],
      ['an empty JWS JSON serialization', () => `HCX2:${JSON.stringify({ payload: 'e30', signatures: [] })}`],
    ] as const
  ).map(([what, make]): CodeAttack => ({ name: `a code with ${what}`, reason: 'MALFORMED', make })),
  ...(
    [
      ['a JSON string', () => '"just a string"'],
      ['a JSON array', (t: AttackTarget) => JSON.stringify([t.claims])],
      ['invalid UTF-8', () => Buffer.from('{"hn":"\xff"}', 'latin1')],
      ['a lone surrogate', () => '{"hn":"\\udc00"}'],
    ] as const
  ).map(([what, payload]): CodeAttack => ({
    name: `a signed payload that is ${what}`,
    reason: 'MALFORMED',
    make: withPayload(payload),
  })),
  ...(
    [
      ['has no exp', (t: AttackTarget) => ({ ...t.claims, exp: undefined })],
      ['expires in 2286', (t: AttackTarget) => ({ ...t.claims, exp: 9_999_999_999 })],
      [
        'lives one second longer than the maximum',
        (t: AttackTarget) => ({ ...t.claims, exp: (t.claims.iat as number) + LIMITS.maxCodeLifetime + 1 }),
      ],
      [
        'expires before it was issued',
        (t: AttackTarget) => ({ ...t.claims, exp: (t.claims.iat as number) - 1 }),
      ],
      ['carries an extra claim', (t: AttackTarget) => ({ ...t.claims, admin: true })],
    ] as const
  ).map(([what, claims]): CodeAttack => ({
    name: `genuinely signed claims that ${what}`,
    reason: 'CLAIMS_INVALID',
    make: withPayload(claims),
  })),
  ...(
    [
      ['r = s = 0', () => Buffer.alloc(64)],
      ['r = n', (sig: Buffer) => Buffer.concat([int32(P256_N), sig.subarray(32)])],
      ['s = n', (sig: Buffer) => Buffer.concat([sig.subarray(0, 32), int32(P256_N)])],
      ['s > n', (sig: Buffer) => Buffer.concat([sig.subarray(0, 32), Buffer.alloc(32, 0xff)])],
      [
        'a DER encoding',
        (sig: Buffer) =>
          Buffer.concat([
            Buffer.from([0x30, 0x46, 0x02, 0x21, 0x00]),
            sig.subarray(0, 32),
            Buffer.from([0x02, 0x21, 0x00]),
            sig.subarray(32),
          ]),
      ],
    ] as const
  ).map(([what, mutate]): CodeAttack => ({
    name: `an ECDSA signature that is ${what}`,
    reason: 'SIGNATURE_INVALID',
    make: withSignature(mutate),
  })),
];

/** The table as `it.each` rows: `[name, reason, row]`. */
export const codeAttackRows = (): [string, ReasonCode, CodeAttack][] =>
  CODE_ATTACKS.map((a) => [a.name, a.reason, a]);
