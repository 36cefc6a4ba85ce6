/**
 * The validators module: compiled once and cached, caller-safe errors, typed shortcuts.
 */
import { hasCode, RequestInvalid } from '../../functions/core/errors';
import {
  SCHEMA_IDS,
  assertValid,
  isCodeClaims,
  isCodeHeader,
  isIssueRequest,
  isLogEntry,
  isProvinceRegistration,
  isPublicJwk,
  isSignedRequestPayload,
  isTrustList,
  isTrustListDelta,
  isVerificationRequest,
  requireValid,
} from '../../functions/core/schemas/validators';
import { assertValidAgainst, lastErrors, validatorFor } from '../../functions/core/schemas/validators-by-id';
import { thrown } from '../kit';
import * as f from './fixtures';

describe('validatorFor', () => {
  it('returns the same compiled function on every call', () => {
    expect(validatorFor(SCHEMA_IDS.codeClaims)).toBe(validatorFor(SCHEMA_IDS.codeClaims));
  });

  it('throws for an id that names no schema', () => {
    expect(() => validatorFor('https://hcx.example/schemas/nope.json')).toThrow();
  });

  it('validates a fragment of a schema by JSON pointer', () => {
    const isProvince = validatorFor<string>(SCHEMA_IDS.provinceRegion);

    expect([isProvince('440000'), isProvince('440300')]).toEqual([true, false]);
  });
});

describe('lastErrors', () => {
  it('reports where and which rule failed, and nothing after a success', () => {
    // Act
    isCodeClaims({ ...f.codeClaims(), st: 'orange' });
    const failed = lastErrors(SCHEMA_IDS.codeClaims).map((e) => [e.instancePath, e.keyword]);
    isCodeClaims(f.codeClaims());
    const passed = lastErrors(SCHEMA_IDS.codeClaims);

    // Assert
    expect(failed).toEqual([['/st', 'enum']]);
    expect(passed).toEqual([]);
  });
});

describe('assertValid', () => {
  it('returns the value itself when it matches', () => {
    const value = f.issueRequest();

    expect(assertValidAgainst(SCHEMA_IDS.issueRequest, value)).toBe(value);
    expect(assertValid(isIssueRequest, value)).toBe(value);
  });

  it('takes the named validator as well as its id, with the same REQUEST_INVALID detail', () => {
    // Act
    const byValidator = thrown(() => assertValid(isVerificationRequest, { code: 1 }, 'body'));
    const byId = thrown(() => assertValidAgainst(SCHEMA_IDS.verificationRequest, { code: 1 }, 'body'));
    const viaRequire = thrown(() => requireValid(isVerificationRequest)({ code: 1 }));

    // Assert
    expect(hasCode(byValidator, 'REQUEST_INVALID')).toBe(true);
    expect((byValidator as RequestInvalid).detail).toBe('body: /code: type');
    expect((byId as RequestInvalid).detail).toBe('body: /code: type');
    expect((viaRequire as RequestInvalid).detail).toBe('/code: type');
    expect(validatorFor(SCHEMA_IDS.verificationRequest)).toBe(isVerificationRequest);
  });

  it('throws REQUEST_INVALID naming the path and rule of a bad resident ID', () => {
    // Prepare
    const secret = '110101199003074470';
    const body = { ...f.issueRequest(), holder: { name: '张三丰', idType: '10', idNumber: secret } };

    // Act
    const e = thrown(() => assertValidAgainst(SCHEMA_IDS.issueRequest, body, 'body'));

    // Assert
    expect(e).toBeInstanceOf(RequestInvalid);
    expect(hasCode(e, 'REQUEST_INVALID')).toBe(true);
    expect((e as RequestInvalid).detail).toBe('body: /holder/idNumber: format');
  });

  it('names a missing member, which comes from the schema', () => {
    const e = thrown(() => assertValidAgainst(SCHEMA_IDS.verificationRequest, {}));

    expect((e as RequestInvalid).detail).toBe('/: required (code)');
  });

  it('names the discriminator tag but not its value', () => {
    const e = thrown(() =>
      assertValidAgainst(SCHEMA_IDS.signedRequest, { ...f.keyRevokeRequest(), op: 'drop-tables' }),
    );

    expect((e as RequestInvalid).detail).toBe('/op: discriminator');
  });

  it('never echoes a value or an unknown member name from the input', () => {
    // Prepare: personal data in a value and in a member name.
    const cases: [string, unknown][] = [
      [SCHEMA_IDS.issueRequest, { ...f.issueRequest(), 张三丰_110101199003074477: true }],
      [SCHEMA_IDS.issueRequest, { ...f.issueRequest(), status: '张三丰 110101199003074477' }],
      [SCHEMA_IDS.codeHeader, { ...f.codeHeader(), kid: '张三丰 110101199003074477' }],
      [SCHEMA_IDS.publicJwk, { ...f.ecJwk(), d: '110101199003074477' }],
    ];

    // Act
    const details = cases.map(([id, v]) =>
      String((thrown(() => assertValidAgainst(id, v)) as RequestInvalid).detail),
    );

    // Assert
    for (const d of details) {
      expect(d).not.toMatch(/张|110101/);
      expect(d.length).toBeLessThan(80);
    }
  });
});

describe('typed shortcuts', () => {
  it.each([
    ['isCodeClaims', isCodeClaims, f.codeClaims()],
    ['isCodeHeader', isCodeHeader, f.codeHeader()],
    ['isPublicJwk', isPublicJwk, f.okpJwk()],
    ['isTrustList', isTrustList, f.trustList()],
    ['isTrustListDelta', isTrustListDelta, f.trustListDelta()],
    ['isLogEntry', isLogEntry, f.logEntries()[1]],
    ['isSignedRequestPayload', isSignedRequestPayload, f.codeRevokeRequest()],
    ['isVerificationRequest', isVerificationRequest, f.verificationRequest()],
    ['isIssueRequest', isIssueRequest, f.issueRequest()],
    ['isProvinceRegistration', isProvinceRegistration, f.provinceRegistration()],
  ] as const)('%s accepts its fixture and refuses an extra member', (_name, guard, value) => {
    expect(guard(value)).toBe(true);
    expect(guard({ ...value, extra: 1 })).toBe(false);
  });

  it('narrows a signed request payload by op', () => {
    // Prepare
    const payload: unknown = f.codeRevokeRequest();

    // Act
    const count = isSignedRequestPayload(payload) && payload.op === 'code.revoke' ? payload.codes.length : -1;

    // Assert
    expect(count).toBe(1);
  });
});
