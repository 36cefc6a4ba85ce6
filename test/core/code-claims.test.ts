/**
 * The hand-written HCX2 claims check on the verification hot path (functions/core/code/claims.ts)
 * against the definition, schemas/code-claims.json compiled by ajv: the same answer on every kind
 * of claim value, valid and not.
 */
import fc from 'fast-check';
import { isCodeClaimsShape } from '../../functions/core/code/claims';
import { codeClaims as compiled } from '../../functions/core/schemas/validators.gen';

const VALID = {
  iss: '330000',
  jti: 'AAAAAAAAAAAAAAAAAAAAAA',
  iat: 1_764_000_000,
  exp: 1_764_086_400,
  st: 'green',
  hn: '张**',
  hb: 'abcdefghijklmnopqrstuvwxyz012-_9',
  idt: '10',
};

/** Characters that sit on the edges the patterns draw (alphabet, white space, surrogates, `*`). */
const EDGE_CHARS = [
  'A',
  'Z',
  'a',
  'z',
  '0',
  '9',
  '-',
  '_',
  '+',
  '/',
  '=',
  '.',
  '*',
  ' ',
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u00c1',
  '\u1680',
  '\u180e',
  '\u2000',
  '\u200a',
  '\u200b',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
  '张',
  '\ud83d',
  '\ude00',
  '\ud83d\ude00',
  '０',
  '١',
];
const edgeString = fc.array(fc.constantFrom(...EDGE_CHARS), { maxLength: 40 }).map((parts) => parts.join(''));
/** Strings near each claim's shape: right length with one character changed, a length off by one. */
const nearString = (base: string) =>
  fc
    .tuple(fc.nat(base.length), fc.constantFrom(...EDGE_CHARS), fc.integer({ min: -1, max: 1 }))
    .map(([at, ch, grow]) => {
      const s = base.slice(0, at) + ch + base.slice(at + 1);
      return grow < 0 ? s.slice(1) : grow > 0 ? s + 'A' : s;
    });
const masked = fc
  .tuple(fc.constantFrom(...EDGE_CHARS), fc.integer({ min: 0, max: 34 }), fc.constantFrom('', '*', 'x'))
  .map(([first, stars, tail]) => first + '*'.repeat(stars) + tail);
const province = fc
  .tuple(
    fc.integer({ min: 0, max: 9 }),
    fc.integer({ min: 0, max: 9 }),
    fc.constantFrom('0000', '0100', '000'),
  )
  .map(([a, b, rest]) => `${a}${b}${rest}`);
const oddValue = fc.oneof(
  fc.constantFrom(null, true, false, [], {}, [1], -0, 0, -1, 1.5, NaN, Infinity, -Infinity),
  fc.constantFrom(4102444800, 4102444801, 1099511627775, 1099511627776, 2 ** 53, -(2 ** 53)),
  fc.double(),
  fc.integer(),
  edgeString,
);
/** Each claim: mostly values on or near its shape, sometimes any odd value. */
const near = (shaped: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: shaped, weight: 4 }, { arbitrary: oddValue, weight: 1 });
const date = fc.oneof(fc.integer({ min: -1, max: 4102444801 }), fc.constantFrom(0, 4102444800, -0));
const claimValue: Record<string, fc.Arbitrary<unknown>> = {
  iss: near(fc.oneof(province, nearString(VALID.iss))),
  jti: near(fc.oneof(fc.constant(VALID.jti), nearString(VALID.jti))),
  iat: near(date),
  exp: near(date),
  nbf: near(date),
  st: near(fc.constantFrom('green', 'yellow', 'red', 'Green', 'blue', 'green ')),
  hn: near(masked),
  hb: near(fc.oneof(fc.constant(VALID.hb), nearString(VALID.hb))),
  idt: near(fc.constantFrom('10', '14', '15', '20', '34', '99', '11', '1', '100', ' 10')),
  si: near(fc.oneof(fc.integer({ min: -1, max: 2 ** 40 }), fc.constantFrom(0, 1099511627775, 1099511627776))),
};
/** `null` seven times in eight, else a value of `a`. */
const rarely = <T>(a: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(null), weight: 7 }, { arbitrary: a, weight: 1 });
/** A valid claim set with some claims replaced, removed, or joined by one the schema does not know. */
const claims = fc
  .tuple(
    fc.subarray(Object.keys(claimValue), { maxLength: 3 }),
    fc.record(claimValue),
    rarely(fc.constantFrom(...Object.keys(VALID))),
    rarely(fc.constantFrom('sub', 'aud', '__proto__', 'toString', 'x')),
  )
  .map(([replaced, values, removed, extra]) => {
    const c: Record<string, unknown> = { ...VALID };
    for (const k of replaced) c[k] = values[k];
    if (removed !== null) delete c[removed];
    if (extra !== null) Object.defineProperty(c, extra, { value: 1, enumerable: true });
    return c;
  });

describe('isCodeClaimsShape', () => {
  it('accepts valid claim sets, with and without the optional claims', () => {
    expect(isCodeClaimsShape(VALID)).toBe(true);
    expect(isCodeClaimsShape({ ...VALID, nbf: VALID.iat, si: 1099511627775 })).toBe(true);
    expect(isCodeClaimsShape({ ...VALID, hn: '\ud83d\ude00' + '*'.repeat(31) })).toBe(true);
    expect(compiled({ ...VALID, hn: '\ud83d\ude00' + '*'.repeat(31) })).toBe(true);
  });

  it('refuses what the schema refuses, named cases', () => {
    const refused = [
      null,
      [],
      'claims',
      { ...VALID, extra: 1 },
      { ...VALID, iss: '330100' },
      { ...VALID, iss: '160000' },
      { ...VALID, jti: VALID.jti.slice(1) },
      { ...VALID, jti: VALID.jti.slice(1) + '+' },
      { ...VALID, iat: 1.5 },
      { ...VALID, exp: 4102444801 },
      { ...VALID, nbf: -1 },
      { ...VALID, st: 'blue' },
      { ...VALID, hn: '张' },
      { ...VALID, hn: ' **' },
      { ...VALID, hn: '\u3000*' },
      { ...VALID, hn: '张' + '*'.repeat(32) },
      { ...VALID, hb: VALID.hb + 'A' },
      { ...VALID, idt: '11' },
      { ...VALID, si: 1099511627776 },
    ];
    for (const c of refused) {
      expect(compiled(c)).toBe(false);
      expect(isCodeClaimsShape(c)).toBe(false);
    }
    for (const k of Object.keys(VALID)) {
      const c: Record<string, unknown> = { ...VALID };
      delete c[k];
      expect(compiled(c)).toBe(false);
      expect(isCodeClaimsShape(c)).toBe(false);
    }
  });

  it('answers as the compiled schema does on every kind of claim value (differential)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(claims, (c) => {
        const expected = compiled(c);
        if (expected) accepted++;
        expect(isCodeClaimsShape(c)).toBe(expected);
      }),
      { numRuns: 20_000 },
    );
    // The generator reaches both answers often enough for the comparison to mean something.
    expect(accepted).toBeGreaterThan(1000);
  });
});
