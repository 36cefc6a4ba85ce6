/**
 * Good and bad samples for every schema. Each bad sample changes one thing in a good fixture, and
 * the table names the rule it breaks.
 */
import { SCHEMA_IDS } from '../../functions/core/schemas/validators';
import { lastErrors, validatorFor } from '../../functions/core/schemas/validators-by-id';
import * as f from './fixtures';

type Obj = Record<string, unknown>;
type Case = readonly [description: string, id: string, value: unknown];

/** `base` with `patch` merged into the object at `path` (a member set to undefined is deleted). */
function change(base: Obj, path: readonly string[], patch: Obj): Obj {
  const copy = structuredClone(base);
  let target: Obj = copy;
  for (const key of path) target = target[key] as Obj;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete target[k];
    else target[k] = v;
  }
  return copy;
}

const S = SCHEMA_IDS;
const longString = 'a'.repeat(10_000);

const good: readonly Case[] = [
  ['a county-level region code', S.region, '330106'],
  ['a province-level region code as a region', S.region, '810000'],
  ['a province-level region code', S.provinceRegion, '110000'],
  ['sex 9 (unspecified)', S.sex, '9'],
  ['nationality CHN', S.nationality, 'CHN'],
  ['a passport', S.idDocument, { idType: '20', idNumber: 'E12345678' }],
  ['a resident ID with check character X', S.idDocument, { idType: '10', idNumber: f.RESIDENT_IDS.withX }],
  [
    'a resident ID with lower-case x',
    S.idDocument,
    { idType: '10', idNumber: f.RESIDENT_IDS.withX.toLowerCase() },
  ],
  ['a resident ID born on a leap day', S.idDocument, { idType: '10', idNumber: f.RESIDENT_IDS.leapDay }],
  [
    'an 18-digit number that is not a resident ID under type 99',
    S.idDocument,
    { idType: '99', idNumber: '110101199003074478' },
  ],
  ['a full issue request', S.issueRequest, f.issueRequest()],
  [
    'a minimal issue request',
    S.issueRequest,
    { holder: { name: 'J', idType: '20', idNumber: 'E1' }, status: 'red' },
  ],
  ['an issue response', S.issueResponse, f.issueResponse()],
  ['an ES256 code header', S.codeHeader, f.codeHeader()],
  ['an EdDSA code header', S.codeHeader, { ...f.codeHeader(), alg: 'EdDSA' }],
  ['code claims', S.codeClaims, f.codeClaims()],
  ['code claims with nbf', S.codeClaims, { ...f.codeClaims(), nbf: 1767225600 }],
  ['code claims with a one-star masked Latin name', S.codeClaims, { ...f.codeClaims(), hn: 'J*' }],
  ['code claims for a name outside the BMP', S.codeClaims, { ...f.codeClaims(), hn: '𠮷**' }],
  ['HCX1 code claims', S.legacyCodeClaims, f.legacyCodeClaims()],
  ['a verification request with a malformed code', S.verificationRequest, f.verificationRequest()],
  ['a verification request without holder', S.verificationRequest, { code: 'x' }],
  ['a valid verification result', S.verificationResult, f.verificationResult()],
  ['a result for an unreadable code', S.verificationResult, f.malformedResult()],
  ['an EC P-256 public JWK', S.publicJwk, f.ecJwk()],
  ['an Ed25519 public JWK', S.publicJwk, f.okpJwk()],
  ['a JWKS', S.jwks, { keys: [f.ecJwk(), f.okpJwk()] }],
  ['an empty JWKS', S.jwks, { keys: [] }],
  ['a trust list', S.trustList, f.trustList()],
  ['a trust-list delta with every entry type', S.trustListDelta, f.trustListDelta()],
  ...f.logEntries().map((e): Case => [`a ${String(e.type)} log entry`, S.logEntry, e]),
  ['a log page', S.logPage, { entries: f.logEntries(), next: 5 }],
  ['the last log page', S.logPage, { entries: [] }],
  ['a key.publish request', S.signedRequest, f.keyPublishRequest()],
  ['a key.revoke request', S.signedRequest, f.keyRevokeRequest()],
  ['a code.revoke request', S.signedRequest, f.codeRevokeRequest()],
  ['a key.publish request on its own schema', S.keyPublishRequest, f.keyPublishRequest()],
  ['a key.revoke request on its own schema', S.keyRevokeRequest, f.keyRevokeRequest()],
  ['a code.revoke request on its own schema', S.codeRevokeRequest, f.codeRevokeRequest()],
  ['a province registration', S.provinceRegistration, f.provinceRegistration()],
  ['a province', S.province, f.province()],
  ['a province list', S.provinceList, { provinces: [f.province()] }],
  ['federation info', S.federationInfo, f.federationInfo()],
  ['problem details', S.problemDetails, f.problemDetails()],
  [
    'minimal problem details',
    S.problemDetails,
    { type: 'about:blank', title: 'Not found', status: 404, code: 'NOT_FOUND' },
  ],
  ['a kid', S.kid, f.KID],
  ['a code id', S.codeId, f.JTI],
  ['an ID type', S.idType, '34'],
];

const tl = f.trustList();
const revokedKeyPath = ['provinces', '0', 'keys', '1'];

const bad: readonly Case[] = [
  // region
  ['a region with an unknown province prefix', S.region, '990000'],
  ['a five-digit region', S.region, '33010'],
  ['a region with a trailing newline', S.region, '330106\n'],
  ['a county code where a province is required', S.provinceRegion, '330106'],
  ['a region as a number', S.region, 330000],
  // code lists
  ['sex 3', S.sex, '3'],
  ['sex as a number', S.sex, 1],
  ['nationality in lower case', S.nationality, 'chn'],
  ['nationality alpha-2', S.nationality, 'CN'],
  ['ID type 11', S.idType, '11'],
  // id document
  [
    'a resident ID with a wrong check character',
    S.idDocument,
    { idType: '10', idNumber: '110101199003074478' },
  ],
  [
    'a resident ID born on 1990-02-30 with a correct check character',
    S.idDocument,
    { idType: '10', idNumber: '11010119900230447X' },
  ],
  ['a resident ID of 17 characters', S.idDocument, { idType: '10', idNumber: '11010519491231002' }],
  ['an ID number with a space', S.idDocument, { idType: '20', idNumber: 'E 12345678' }],
  ['an ID number of 33 characters', S.idDocument, { idType: '99', idNumber: 'A'.repeat(33) }],
  ['an ID document with an extra member', S.idDocument, { idType: '20', idNumber: 'E1', name: 'x' }],
  // issue request
  [
    'an issue request with a bad resident ID',
    S.issueRequest,
    change(f.issueRequest(), ['holder'], { idNumber: '110101199003074470' }),
  ],
  ['an issue request without status', S.issueRequest, change(f.issueRequest(), [], { status: undefined })],
  ['an issue request with status blue', S.issueRequest, change(f.issueRequest(), [], { status: 'blue' })],
  [
    'an issue request lasting 8 days',
    S.issueRequest,
    change(f.issueRequest(), [], { validitySeconds: 691200 }),
  ],
  ['an issue request lasting 59 s', S.issueRequest, change(f.issueRequest(), [], { validitySeconds: 59 })],
  [
    'an issue request with fractional validity',
    S.issueRequest,
    change(f.issueRequest(), [], { validitySeconds: 3600.5 }),
  ],
  [
    'an issue request with a sentence as reason',
    S.issueRequest,
    change(f.issueRequest(), [], { reason: 'has a fever' }),
  ],
  [
    'an issue request with an extra holder member',
    S.issueRequest,
    change(f.issueRequest(), ['holder'], { address: 'x' }),
  ],
  [
    'an issue request with a health field',
    S.issueRequest,
    change(f.issueRequest(), [], { temperature: 38.5 }),
  ],
  ['an issue request with an empty name', S.issueRequest, change(f.issueRequest(), ['holder'], { name: '' })],
  [
    'an issue request with a name starting with *',
    S.issueRequest,
    change(f.issueRequest(), ['holder'], { name: '*x' }),
  ],
  [
    'an issue request with a name starting with a space',
    S.issueRequest,
    change(f.issueRequest(), ['holder'], { name: ' x' }),
  ],
  [
    'an issue request with a control character in the name',
    S.issueRequest,
    change(f.issueRequest(), ['holder'], { name: 'a\u0000b' }),
  ],
  [
    'an issue request with a 65-character name',
    S.issueRequest,
    change(f.issueRequest(), ['holder'], { name: 'a'.repeat(65) }),
  ],
  [
    'an issue request with letters in the phone',
    S.issueRequest,
    change(f.issueRequest(), ['holder'], { phone: '138-0013' }),
  ],
  [
    'an issue request with a bad household region',
    S.issueRequest,
    change(f.issueRequest(), ['holder'], { householdRegion: '000000' }),
  ],
  // issue response
  [
    'an issue response whose code has no prefix',
    S.issueResponse,
    change(f.issueResponse(), [], { code: 'a.b.c' }),
  ],
  [
    'an issue response with a local time',
    S.issueResponse,
    change(f.issueResponse(), [], { expiresAt: '2026-01-02 00:00' }),
  ],
  // code header
  ['a header with alg none', S.codeHeader, { ...f.codeHeader(), alg: 'none' }],
  ['a header with alg HS256', S.codeHeader, { ...f.codeHeader(), alg: 'HS256' }],
  ['a header with an embedded jwk', S.codeHeader, { ...f.codeHeader(), jwk: f.ecJwk() }],
  ['a header with jku', S.codeHeader, { ...f.codeHeader(), jku: 'https://evil.example/jwks' }],
  ['a header with x5c', S.codeHeader, { ...f.codeHeader(), x5c: ['MII'] }],
  ['a header with crit', S.codeHeader, { ...f.codeHeader(), crit: ['b64'], b64: false }],
  ['a header with a trust-list typ', S.codeHeader, { ...f.codeHeader(), typ: 'hcx-trust-list+jws' }],
  ['a header with a path as kid', S.codeHeader, { ...f.codeHeader(), kid: '../../../../etc/passwd' }],
  ['a header with a 10 KB kid', S.codeHeader, { ...f.codeHeader(), kid: longString }],
  ['a header with a numeric kid', S.codeHeader, { ...f.codeHeader(), kid: 42 }],
  ['a header with an object kid', S.codeHeader, { ...f.codeHeader(), kid: { $ne: null } }],
  ['a header without typ', S.codeHeader, change(f.codeHeader(), [], { typ: undefined })],
  ['a header with the HCX1 typ', S.codeHeader, { ...f.codeHeader(), typ: 'hcx-code+jws' }],
  ['a header with a full thumbprint as kid', S.codeHeader, { ...f.codeHeader(), kid: f.KID }],
  // code claims
  ['claims with a version claim (HCX2 has none)', S.codeClaims, { ...f.codeClaims(), v: 2 }],
  ['HCX1 claims as HCX2 claims', S.codeClaims, f.legacyCodeClaims()],
  ['HCX2 claims as HCX1 claims', S.legacyCodeClaims, { ...f.codeClaims(), v: 1 }],
  ['claims without exp', S.codeClaims, change(f.codeClaims(), [], { exp: undefined })],
  ['claims expiring in 2286', S.codeClaims, { ...f.codeClaims(), exp: 9999999999 }],
  ['claims with a negative iat', S.codeClaims, { ...f.codeClaims(), iat: -1 }],
  ['claims with a fractional iat', S.codeClaims, { ...f.codeClaims(), iat: 1767225600.5 }],
  ['claims with iat as a string', S.codeClaims, { ...f.codeClaims(), iat: '1767225600' }],
  ['claims issued by a county', S.codeClaims, { ...f.codeClaims(), iss: '330106' }],
  ['claims with a 21-character jti', S.codeClaims, { ...f.codeClaims(), jti: f.JTI.slice(1) }],
  ['claims with a padded jti', S.codeClaims, { ...f.codeClaims(), jti: `${f.JTI.slice(2)}==` }],
  ['claims with status orange', S.codeClaims, { ...f.codeClaims(), st: 'orange' }],
  ['claims with an unmasked name', S.codeClaims, { ...f.codeClaims(), hn: '张三丰' }],
  ['claims with a partly masked name', S.codeClaims, { ...f.codeClaims(), hn: '张三*' }],
  ['claims with a bare star as name', S.codeClaims, { ...f.codeClaims(), hn: '**' }],
  ['claims with a one-character name', S.codeClaims, { ...f.codeClaims(), hn: '张' }],
  ['claims with a 33-character masked name', S.codeClaims, { ...f.codeClaims(), hn: `张${'*'.repeat(32)}` }],
  ['claims with an extra claim (the sleep field)', S.codeClaims, { ...f.codeClaims(), sleep: 7 }],
  ['claims carrying the ID number', S.codeClaims, { ...f.codeClaims(), idn: f.RESIDENT_IDS.beijing }],
  ['claims with a 31-character holder binding', S.codeClaims, { ...f.codeClaims(), hb: 'A'.repeat(31) }],
  ['claims with a 33-character holder binding', S.codeClaims, { ...f.codeClaims(), hb: 'A'.repeat(33) }],
  [
    'claims with a holder binding outside base64url',
    S.codeClaims,
    { ...f.codeClaims(), hb: `${'A'.repeat(31)}=` },
  ],
  ['claims with an object holder binding', S.codeClaims, { ...f.codeClaims(), hb: f.legacyCodeClaims().hb }],
  [
    'HCX1 claims with a sha256 holder binding',
    S.legacyCodeClaims,
    change(f.legacyCodeClaims(), ['hb'], { alg: 'sha256' }),
  ],
  [
    'HCX1 claims with a short salt',
    S.legacyCodeClaims,
    change(f.legacyCodeClaims(), ['hb'], { salt: 'AAAA' }),
  ],
  [
    'HCX1 claims with a 44-character tag',
    S.legacyCodeClaims,
    change(f.legacyCodeClaims(), ['hb'], { tag: 'A'.repeat(44) }),
  ],
  [
    'HCX1 claims with an extra binding member',
    S.legacyCodeClaims,
    change(f.legacyCodeClaims(), ['hb'], { idNumber: 'x' }),
  ],
  ['claims with an unknown idt', S.codeClaims, { ...f.codeClaims(), idt: '11' }],
  ['claims as an array', S.codeClaims, [f.codeClaims()]],
  ['claims as null', S.codeClaims, null],
  // verification request
  [
    'a verification request without code',
    S.verificationRequest,
    { holder: { idType: '20', idNumber: 'E1' } },
  ],
  ['a verification request with an empty code', S.verificationRequest, { code: '' }],
  ['a verification request with a 2049-character code', S.verificationRequest, { code: 'a'.repeat(2049) }],
  [
    'a verification request with a bad resident ID',
    S.verificationRequest,
    change(f.verificationRequest(), ['holder'], { idNumber: '11010519491231002Y' }),
  ],
  ['a verification request with an extra member', S.verificationRequest, { code: 'x', debug: true }],
  // verification result
  [
    'a result with an unknown reason code',
    S.verificationResult,
    change(f.verificationResult(), [], { reasons: [{ code: 'OOPS', message: 'x' }] }),
  ],
  [
    'a result missing trustList',
    S.verificationResult,
    change(f.verificationResult(), [], { trustList: undefined }),
  ],
  ['a result with result ok', S.verificationResult, change(f.verificationResult(), [], { result: 'ok' })],
  [
    'a result leaking the holder name',
    S.verificationResult,
    change(f.verificationResult(), ['holder'], { name: '张三丰' }),
  ],
  [
    'a result with a NumericDate instead of RFC 3339',
    S.verificationResult,
    change(f.verificationResult(), [], { issuedAt: 1767225600 }),
  ],
  // public JWK
  ['an EC JWK with a private member d', S.publicJwk, { ...f.ecJwk(), d: 'A'.repeat(43) }],
  ['an OKP JWK with a private member d', S.publicJwk, { ...f.okpJwk(), d: 'A'.repeat(43) }],
  ['an RSA JWK', S.publicJwk, { kty: 'RSA', n: 'AQAB', e: 'AQAB' }],
  ['an oct JWK', S.publicJwk, { kty: 'oct', k: 'c2VjcmV0' }],
  ['an EC JWK on P-384', S.publicJwk, { ...f.ecJwk(), crv: 'P-384' }],
  ['an EC JWK without y', S.publicJwk, change(f.ecJwk(), [], { y: undefined })],
  ['an EC JWK with a 44-character x', S.publicJwk, { ...f.ecJwk(), x: 'A'.repeat(44) }],
  ['an OKP JWK on X25519', S.publicJwk, { ...f.okpJwk(), crv: 'X25519' }],
  ['an OKP JWK with a y', S.publicJwk, { ...f.okpJwk(), y: 'A'.repeat(43) }],
  ['an EC JWK claiming alg EdDSA', S.publicJwk, { ...f.ecJwk(), alg: 'EdDSA' }],
  ['a JWK for encryption', S.publicJwk, { ...f.ecJwk(), use: 'enc' }],
  ['a JWK allowed to sign', S.publicJwk, { ...f.ecJwk(), key_ops: ['sign'] }],
  ['a JWK with two key_ops', S.publicJwk, { ...f.ecJwk(), key_ops: ['verify', 'verify'] }],
  ['a JWK with an x5u', S.publicJwk, { ...f.ecJwk(), x5u: 'https://evil.example' }],
  ['a JWK without kty', S.publicJwk, change(f.ecJwk(), [], { kty: undefined })],
  ['a JWKS with a private key', S.jwks, { keys: [{ ...f.okpJwk(), d: 'A'.repeat(43) }] }],
  ['a JWKS with an extra member', S.jwks, { keys: [], next: 'x' }],
  // trust list
  ['a trust list without logHead', S.trustList, change(tl, [], { logHead: undefined })],
  ['a trust list with a negative version', S.trustList, change(tl, [], { version: -1 })],
  [
    'a trust list with a code revocation lacking its signed request',
    S.trustList,
    change(tl, ['codeRevocations', '0'], { request: undefined }),
  ],
  [
    'a trust list with a key lacking status',
    S.trustList,
    change(tl, ['provinces', '0', 'keys', '0'], { status: undefined }),
  ],
  [
    'a trust list with a revoked key lacking revokedAt',
    S.trustList,
    change(tl, revokedKeyPath, { revokedAt: undefined }),
  ],
  [
    'a trust list with a revoked key lacking reason',
    S.trustList,
    change(tl, revokedKeyPath, { reason: undefined }),
  ],
  [
    'a trust list with an active key carrying a reason',
    S.trustList,
    change(tl, ['provinces', '0', 'keys', '0'], { reason: 'retired' }),
  ],
  [
    'a trust list with an unknown revocation reason',
    S.trustList,
    change(tl, revokedKeyPath, { reason: 'lost' }),
  ],
  [
    'a trust list with a private key',
    S.trustList,
    change(tl, ['provinces', '0', 'keys', '0', 'jwk'], { d: 'A'.repeat(43) }),
  ],
  [
    'a trust list with a province in state closed',
    S.trustList,
    change(tl, ['provinces', '0'], { status: 'closed' }),
  ],
  [
    'a trust list with a county as province',
    S.trustList,
    change(tl, ['provinces', '0'], { region: '330100' }),
  ],
  ['a trust list with an extra member', S.trustList, change(tl, [], { comment: 'x' })],
  [
    'a trust list with an extra revocation member',
    S.trustList,
    change(tl, ['codeRevocations', '0'], { holder: 'x' }),
  ],
  // delta and log
  [
    'a delta without fromVersion',
    S.trustListDelta,
    change(f.trustListDelta(), [], { fromVersion: undefined }),
  ],
  ['a log entry of an unknown type', S.logEntry, { ...f.logEntries()[0], type: 'province.deleted' }],
  [
    'a log entry whose data belongs to another type',
    S.logEntry,
    { ...f.logEntries()[2], type: 'code.revoked' },
  ],
  [
    'a code.revoked entry lacking its signed request (an unsigned revocation)',
    S.logEntry,
    change(f.logEntries()[3], ['data'], { request: undefined }),
  ],
  [
    'a key.published entry carrying a private key',
    S.logEntry,
    change(f.logEntries()[1], ['data', 'jwk'], { d: 'A'.repeat(43) }),
  ],
  ['a province.suspended entry with data', S.logEntry, change(f.logEntries()[4], ['data'], { why: 'x' })],
  ['a log entry with seq 0', S.logEntry, { ...f.logEntries()[0], seq: 0 }],
  ['a log entry with a hex hash', S.logEntry, { ...f.logEntries()[0], hash: 'ab'.repeat(32) }],
  ['a log entry without prev', S.logEntry, change(f.logEntries()[0], [], { prev: undefined })],
  ['a log entry with an extra member', S.logEntry, { ...f.logEntries()[3], signature: 'x' }],
  ['a log page with a fractional next', S.logPage, { entries: [], next: 1.5 }],
  // signed requests
  ['a request with an unknown op', S.signedRequest, { ...f.keyRevokeRequest(), op: 'key.delete' }],
  ['a request without op', S.signedRequest, change(f.keyRevokeRequest(), [], { op: undefined })],
  [
    'a key.publish request with a private key',
    S.signedRequest,
    change(f.keyPublishRequest(), ['key'], { d: 'A'.repeat(43) }),
  ],
  ['a key.publish request with alg RS256', S.signedRequest, { ...f.keyPublishRequest(), alg: 'RS256' }],
  [
    'a key.publish request without notAfter',
    S.signedRequest,
    change(f.keyPublishRequest(), [], { notAfter: undefined }),
  ],
  [
    'a key.publish request with a county region',
    S.signedRequest,
    { ...f.keyPublishRequest(), region: '440300' },
  ],
  ['a key.publish request with a short nonce', S.signedRequest, { ...f.keyPublishRequest(), jti: 'abc' }],
  [
    'a key.publish request with members of key.revoke',
    S.signedRequest,
    { ...f.keyPublishRequest(), kid: f.KID },
  ],
  ['a key.revoke request with reason lost', S.signedRequest, { ...f.keyRevokeRequest(), reason: 'lost' }],
  ['a code.revoke request with no codes', S.signedRequest, { ...f.codeRevokeRequest(), codes: [] }],
  [
    'a code.revoke request with 2 codes (one code per signed request)',
    S.signedRequest,
    { ...f.codeRevokeRequest(), codes: Array.from({ length: 2 }, () => ({ jti: f.JTI, exp: 1767312000 })) },
  ],
  [
    'a code.revoke request with a code lacking exp',
    S.signedRequest,
    { ...f.codeRevokeRequest(), codes: [{ jti: f.JTI }] },
  ],
  ['a key.revoke payload against the key.publish schema', S.keyPublishRequest, f.keyRevokeRequest()],
  // provinces and federation
  ['a registration of a county', S.provinceRegistration, { ...f.provinceRegistration(), region: '350200' }],
  [
    'a registration with an RSA enrollment key',
    S.provinceRegistration,
    { ...f.provinceRegistration(), enrollmentKey: { kty: 'RSA' } },
  ],
  ['a registration with an extra member', S.provinceRegistration, { ...f.provinceRegistration(), keys: [] }],
  ['a province with a NumericDate registeredAt', S.province, { ...f.province(), registeredAt: 1767225600 }],
  ['a province list with an extra member', S.provinceList, { provinces: [], total: 0 }],
  [
    'federation info with an 8-day code lifetime',
    S.federationInfo,
    { ...f.federationInfo(), maxCodeLifetimeSeconds: 691200 },
  ],
  [
    'federation info with a private federation key',
    S.federationInfo,
    change(f.federationInfo(), [], { keys: { keys: [{ ...f.okpJwk(), d: 'A'.repeat(43) }] } }),
  ],
  ['a federation id with a space', S.federationInfo, { ...f.federationInfo(), federation: 'hcx cn' }],
  // problem details
  ['problem details with a stack trace', S.problemDetails, { ...f.problemDetails(), stack: 'Error: at x' }],
  ['problem details with status 200', S.problemDetails, { ...f.problemDetails(), status: 200 }],
  [
    'problem details with a lower-case code',
    S.problemDetails,
    { ...f.problemDetails(), code: 'request_invalid' },
  ],
  ['problem details without code', S.problemDetails, change(f.problemDetails(), [], { code: undefined })],
];

describe('schema samples', () => {
  it.each(good)('accepts %s', (_d, id, value) => {
    // Act
    const valid = validatorFor(id)(value);

    // Assert
    expect(lastErrors(id)).toEqual([]);
    expect(valid).toBe(true);
  });

  it.each(bad)('refuses %s', (_d, id, value) => {
    // Act
    const valid = validatorFor(id)(value);

    // Assert
    expect(valid).toBe(false);
    expect(lastErrors(id).length).toBeGreaterThan(0);
  });
});
