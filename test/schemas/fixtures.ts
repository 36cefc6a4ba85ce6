/**
 * Valid samples of every schema, shared by the schema tests. Each test derives its bad samples
 * from these by changing one thing, so a failure points at exactly one rule.
 */
import { generateKeyPairSync } from 'node:crypto';

/** Published GB 11643 examples and numbers computed by hand with ISO 7064 MOD 11-2. */
export const RESIDENT_IDS = {
  /** The example of GB 11643-1999 itself; check character X (value 10). */
  withX: '11010519491231002X',
  /** Beijing, 1990-03-07, check 7. */
  beijing: '110101199003074477',
  /** Hangzhou, born on a leap day (2000-02-29), check 7. */
  leapDay: '330102200002291237',
  /** Xiamen, 1970-01-01, check 9. */
  xiamen: '350203197001010019',
} as const;

const b64 = (n: number, c = 'A'): string => c.repeat(n);

/** A real P-256 public key as a JWK, with the optional members the schema allows. */
export function ecJwk(): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, alg: 'ES256', use: 'sig', key_ops: ['verify'] };
}

/** A real Ed25519 public key as a JWK. */
export function okpJwk(): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
}

export const KID = b64(43, 'k');
export const HASH = b64(43, 'h');
export const JTI = 'AbCdEfGhIjKlMnOpQrStUw';

export const SHORT_KID = KID.slice(0, 11);

export const codeHeader = (): Record<string, unknown> => ({ alg: 'ES256', kid: SHORT_KID, typ: 'hcx2' });

export const codeClaims = (): Record<string, unknown> => ({
  iss: '330000',
  jti: JTI,
  iat: 1767225600,
  exp: 1767312000,
  st: 'green',
  hn: '张**',
  hb: b64(32, 'b'),
  idt: '10',
});

/** The claims of an HCX1 (legacy) code. */
export const legacyCodeClaims = (): Record<string, unknown> => ({
  v: 1,
  ...codeClaims(),
  hb: { alg: 'scrypt-v1', salt: b64(22, 's'), tag: b64(43, 't') },
});

export const issueRequest = (): Record<string, unknown> => ({
  holder: {
    name: '张三丰',
    idType: '10',
    idNumber: RESIDENT_IDS.beijing,
    sex: '1',
    nationality: 'CHN',
    householdRegion: '110101',
    phone: '+8613800138000',
  },
  status: 'yellow',
  validitySeconds: 86400,
  reason: 'fever-2',
});

export const issueResponse = (): Record<string, unknown> => ({
  code: `HCX1:${b64(20, 'e')}.${b64(40, 'p')}.${b64(86, 's')}`,
  codeId: JTI,
  expiresAt: '2026-01-02T00:00:00Z',
  qr: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
});

export const verificationRequest = (): Record<string, unknown> => ({
  code: 'HCX1:not-even-a-jws',
  holder: { idType: '10', idNumber: RESIDENT_IDS.withX },
});

export const verificationResult = (): Record<string, unknown> => ({
  result: 'valid',
  status: 'red',
  issuer: { region: '330000', name: '浙江省' },
  codeId: JTI,
  issuedAt: '2026-01-01T00:00:00Z',
  expiresAt: '2026-01-02T00:00:00+08:00',
  holder: { maskedName: '张**', idType: '10', bound: true },
  reasons: [],
  trustList: { version: 42, ageSeconds: 30 },
});

/** What a verifier answers when it could read nothing from the code. */
export const malformedResult = (): Record<string, unknown> => ({
  result: 'invalid',
  status: null,
  issuer: null,
  codeId: null,
  issuedAt: null,
  expiresAt: null,
  holder: null,
  reasons: [{ code: 'MALFORMED', message: 'The code is not a compact JWS' }],
  trustList: null,
});

/** A compact JWS shape (the schema checks its form; its signature is the fold's business). */
const REQUEST_JWS = `${b64(40, 'h')}.${b64(120, 'p')}.${b64(86, 's')}`;

export const trustListKey = (): Record<string, unknown> => ({
  kid: KID,
  alg: 'ES256',
  jwk: ecJwk(),
  notBefore: 1767225600,
  notAfter: 1798761600,
  status: 'active',
  request: REQUEST_JWS,
});

export const trustList = (): Record<string, unknown> => ({
  federation: 'hcx-cn',
  version: 7,
  issuedAt: 1767225600,
  expiresAt: 1767312000,
  logHead: HASH,
  provinces: [
    {
      region: '330000',
      name: '浙江省',
      status: 'active',
      enrollmentKeys: [{ key: { ...okpJwk(), kid: KID, alg: 'EdDSA' }, from: 1767225600 }],
      keys: [
        trustListKey(),
        {
          ...trustListKey(),
          status: 'revoked',
          revokedAt: 1767225700,
          reason: 'superseded',
          revokeRequest: REQUEST_JWS,
        },
      ],
    },
  ],
  codeRevocations: [
    { region: '330000', jti: JTI, revokedAt: 1767225800, exp: 1767312000, request: REQUEST_JWS },
  ],
});

const entry = (seq: number, type: string, data: Record<string, unknown>): Record<string, unknown> => ({
  seq,
  at: 1767225600 + seq,
  type,
  region: '440000',
  data,
  prev: HASH,
  hash: b64(43, 'n'),
});

/** One log entry of each of the five types. */
export const logEntries = (): Record<string, unknown>[] => [
  entry(1, 'province.registered', { name: '广东省', enrollmentKey: ecJwk() }),
  entry(2, 'key.published', {
    kid: KID,
    alg: 'EdDSA',
    jwk: okpJwk(),
    notBefore: 1767225600,
    notAfter: 1798761600,
    request: REQUEST_JWS,
  }),
  entry(3, 'key.revoked', { kid: KID, reason: 'compromised', revokedAt: 1767225900, request: REQUEST_JWS }),
  entry(4, 'code.revoked', { jti: JTI, exp: 1767312000, revokedAt: 1767225900, request: REQUEST_JWS }),
  entry(5, 'province.suspended', {}),
];

export const trustListDelta = (): Record<string, unknown> => ({
  federation: 'hcx-cn',
  fromVersion: 0,
  version: 5,
  issuedAt: 1767225600,
  expiresAt: 1767312000,
  logHead: b64(43, 'n'),
  entries: logEntries(),
});

const requestCommon = (op: string): Record<string, unknown> => ({
  aud: 'hcx-cn',
  iat: 1767225600,
  jti: '0b7f3c1e-6a2d-4f0e-9b1a-2c3d4e5f6a7b',
  region: '440000',
  op,
});

export const keyPublishRequest = (): Record<string, unknown> => ({
  ...requestCommon('key.publish'),
  key: ecJwk(),
  alg: 'ES256',
  notBefore: 1767225600,
  notAfter: 1798761600,
});

export const keyRevokeRequest = (): Record<string, unknown> => ({
  ...requestCommon('key.revoke'),
  kid: KID,
  reason: 'retired',
  revokedAt: 1767225600,
});

export const codeRevokeRequest = (): Record<string, unknown> => ({
  ...requestCommon('code.revoke'),
  codes: [{ jti: JTI, exp: 1767312000 }],
});

export const provinceRegistration = (): Record<string, unknown> => ({
  region: '350000',
  name: '福建省',
  enrollmentKey: okpJwk(),
});

export const province = (): Record<string, unknown> => ({
  region: '350000',
  name: '福建省',
  status: 'suspended',
  enrollmentKid: KID,
  registeredAt: '2026-01-01T08:00:00.123+08:00',
});

export const federationInfo = (): Record<string, unknown> => ({
  federation: 'https://exchange.example',
  keys: { keys: [{ ...ecJwk(), kid: KID }] },
  maxKeyLifetimeSeconds: 31536000,
  maxCodeLifetimeSeconds: 604800,
});

export const problemDetails = (): Record<string, unknown> => ({
  type: 'https://hcx.example/problems/request-invalid',
  title: 'The request is not valid',
  status: 400,
  code: 'REQUEST_INVALID',
  detail: '/holder/idNumber: format',
  instance: '/v1/codes',
  retryable: false,
  requestId: 'req-01J9Z',
});
