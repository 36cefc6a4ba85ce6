import fc from 'fast-check';
import { JsonRejected, parseStrictJson, readCompactFlatJson } from '../../functions/core/json';

const problem = (text: string, maxDepth?: number) => {
  try {
    parseStrictJson(text, { maxDepth });
  } catch (e) {
    expect(e).toBeInstanceOf(JsonRejected);
    return (e as JsonRejected).problem;
  }
  throw new Error('parsed');
};

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses, for ordinary documents', () => {
    const doc = { a: [1, -2.5e3, true, false, null, 'x\n"\u00e9\ud83d\ude00'], b: { c: {} }, d: [] };
    expect(parseStrictJson(JSON.stringify(doc))).toEqual(doc);
    expect(parseStrictJson(' "\\u5f20\\ud83d\\ude00" ')).toBe('张😀');
  });

  it('refuses duplicate member names that JSON.parse would resolve to the last', () => {
    expect(problem('{"iss":"440000","iss":"330000"}')).toBe('DUPLICATE_KEY');
    expect(problem('{"a":{"b":1,"b":2}}')).toBe('DUPLICATE_KEY');
  });

  it('refuses prototype-polluting keys', () => {
    expect(problem('{"__proto__":{"admin":true}}')).toBe('FORBIDDEN_KEY');
    expect(problem('{"a":{"constructor":{"prototype":1}}}')).toBe('FORBIDDEN_KEY');
  });

  it('refuses nesting deeper than the cap', () => {
    expect(problem('[[[[1]]]]', 3)).toBe('TOO_DEEP');
    expect(problem('['.repeat(10_000) + ']'.repeat(10_000))).toBe('TOO_DEEP');
  });

  it('refuses escaped lone surrogates and syntax errors', () => {
    expect(problem('"\\udc00"')).toBe('LONE_SURROGATE');
    for (const bad of [
      '',
      '{',
      '{"a":1,}',
      '[1,]',
      "{'a':1}",
      '01',
      '1.',
      'NaN',
      '"\t"',
      '{"a" 1}',
      '1 2',
      'tru',
      '"\\x"',
      '1e999',
    ])
      expect(problem(bad)).toBe('SYNTAX');
  });
});

describe('parseStrictJson numbers', () => {
  it('reads every number exactly as JSON.parse does (integers are read as they are scanned)', () => {
    const texts = [
      '0',
      '-0',
      '7',
      '-7',
      '1796013196',
      '-1796013196',
      '99999999999999', // 14 digits
      '999999999999999', // 15 digits: the longest read as scanned
      '-99999999999999',
      '-999999999999999',
      '9999999999999999', // 16 digits: read by Number
      '9007199254740993',
      '12345678901234567890',
      '1.5',
      '-0.0',
      '1e3',
      '1E+3',
      '10e-2',
    ];
    for (const text of texts) {
      expect(Object.is(parseStrictJson(text), JSON.parse(text))).toBe(true);
      expect(parseStrictJson(`{"n":${text}}`)).toEqual({ n: JSON.parse(text) });
      expect(Object.is((parseStrictJson(`[${text}]`) as number[])[0], JSON.parse(text))).toBe(true);
    }
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(Math.random() * 10 ** Math.floor(Math.random() * 16)) * (i % 2 ? -1 : 1);
      expect(parseStrictJson(String(n))).toBe(JSON.parse(String(n)));
    }
  });

  it('refuses malformed numbers around the integer path', () => {
    for (const bad of ['-', '--1', '00', '-01', '1.', '1e', '+1', '1-', '0x10', '1_000'])
      expect(problem(bad)).toBe('SYNTAX');
    expect(problem(`{"a":1${'0'.repeat(40)}}`)).toBe('SYNTAX');
  });
});

describe('parseStrictJson member names hcx uses (read as interned constants)', () => {
  const KNOWN = ['st', 'hn', 'hb', 'si', 'iss', 'jti', 'iat', 'exp', 'nbf', 'idt', 'alg', 'kid', 'typ'];

  it('refuses a duplicate of a known name, also when one of the two is escaped', () => {
    expect(problem('{"iss":"440000","iat":1,"iss":"330000"}')).toBe('DUPLICATE_KEY');
    expect(problem('{"st":"green","\\u0073t":"red"}')).toBe('DUPLICATE_KEY');
    expect(problem('{"\\u0073t":"red","st":"green"}')).toBe('DUPLICATE_KEY');
    expect(problem('{"kid":"a","typ":"b","kid":"a"}')).toBe('DUPLICATE_KEY');
  });

  it('reads near-misses of known names as what they are', () => {
    for (const text of [
      '{"is":1,"iss2":2,"ISS":3,"i\\u0073s":4,"s":5,"sti":6,"jt":7,"ex":8}',
      '{"st ":1," st":2,"s\\"":3,"\\\\st":4,"\u00e9t":5,"s\u00e9":6,"kidd":7}',
    ])
      expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    // A control character or NUL in a short name is still a syntax error, never read as a known name.
    expect(problem('{"\u0000st":1}')).toBe('SYNTAX');
    expect(problem('{"s\u0001":1}')).toBe('SYNTAX');
    expect(problem('{"st')).toBe('SYNTAX');
    expect(problem('{"st"')).toBe('SYNTAX');
  });

  it('builds the same objects as JSON.parse from known, near and other names (property)', () => {
    const name = fc.oneof(
      fc.constantFrom(...KNOWN),
      fc.constantFrom(...KNOWN).map((k) => k.toUpperCase()),
      fc.constantFrom(...KNOWN).chain((k) => fc.nat(k.length - 1).map((i) => k.slice(0, i) + k.slice(i + 1))),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(name, fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null))), {
          selector: ([k]) => k,
          maxLength: 12,
        }),
        (members) => {
          const text = `{${members.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
          let expected: unknown;
          try {
            expected = JSON.parse(text);
          } catch {
            return; // a lone surrogate in a generated name: not this property's subject
          }
          if (members.some(([k]) => ['__proto__', 'constructor', 'prototype'].includes(k))) return;
          const parsed = parseStrictJson(text) as Record<string, unknown>;
          expect(parsed).toEqual(expected);
          expect(Object.keys(parsed)).toEqual(Object.keys(expected as object));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('readCompactFlatJson (the compact flat form, straight from UTF-8 bytes)', () => {
  const names = ['st', 'hn', 'hb', 'si', 'iss', 'jti', 'iat', 'exp', 'nbf', 'idt', 'alg', 'kid', 'typ'];
  /** What the general path gives for the same bytes: the object, or the refusal's problem. */
  const general = (bytes: Buffer): unknown => {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      return 'NOT_UTF8';
    }
    try {
      return parseStrictJson(text, { maxDepth: 1 });
    } catch (e) {
      return (e as JsonRejected).problem;
    }
  };
  /** The fast reader on `bytes` inside a larger buffer whose other bytes are digits and quotes. */
  const fast = (bytes: Buffer) => {
    const buffer = Buffer.alloc(bytes.length + 16, '1"');
    bytes.copy(buffer);
    return readCompactFlatJson(buffer, bytes.length);
  };
  const sameAsGeneral = (bytes: Buffer) => {
    const read = fast(bytes);
    if (read === undefined) return false;
    const expected = general(bytes);
    expect(read).toEqual(expected);
    expect(Object.keys(read)).toEqual(Object.keys(expected as object));
    for (const k of Object.keys(read))
      expect(Object.is(read[k], (expected as Record<string, unknown>)[k])).toBe(true);
    return true;
  };

  it("reads a code's claims as the general parser does", () => {
    const claims =
      '{"iss":"330000","jti":"T_9PkWeix2nu4cL39T1d5Q","iat":1796042319,"exp":1796128719,"st":"green","hn":"张**","hb":"4dIR31HUS8GF6bceoh3jjMdxVilFlV2u","idt":"10","si":0,"nbf":-0}';
    expect(sameAsGeneral(Buffer.from(claims))).toBe(true);
    expect(sameAsGeneral(Buffer.from('{}'))).toBe(true);
    expect(sameAsGeneral(Buffer.from('{"hn":"😀*"}'))).toBe(true);
  });

  it.each([
    ['white space', '{ "st":"green"}'],
    ['an unknown name', '{"sub":"x"}'],
    ['a duplicate name', '{"st":"green","st":"red"}'],
    ['an escape', '{"st":"gr\\u0065en"}'],
    ['a control character', '{"st":"a\tb"}'],
    ['a fraction', '{"iat":1.5}'],
    ['an exponent', '{"iat":1e3}'],
    ['a leading zero', '{"iat":01}'],
    ['16 characters of integer', '{"iat":1234567890123456}'],
    ['a literal', '{"si":null}'],
    ['a nested object', '{"hb":{"s":"x"}}'],
    ['an array', '{"hb":[]}'],
    ['a trailing comma', '{"st":"x",}'],
    ['text after the object', '{"st":"x"}x'],
    ['an unterminated string', '{"st":"x}'],
    ['a BOM', '\ufeff{"st":"x"}'],
  ])('leaves %s to the general parser', (_what, text) => {
    expect(fast(Buffer.from(text))).toBeUndefined();
  });

  it('leaves invalid UTF-8 to the general parser', () => {
    expect(
      fast(Buffer.from([0x7b, 0x22, 0x68, 0x6e, 0x22, 0x3a, 0x22, 0xe5, 0xbc, 0x22, 0x7d])),
    ).toBeUndefined();
    expect(
      fast(Buffer.from([0x7b, 0x22, 0x68, 0x6e, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])),
    ).toBeUndefined();
  });

  it('gives exactly what the general parser gives whenever it reads (property)', () => {
    const value = fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_*-]{0,12}$/) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
      { weight: 1, arbitrary: fc.constantFrom('green', '张**', '😀*', '', '\\', '"', '\u0000', '\ud800') },
      { weight: 4, arbitrary: fc.integer({ min: -1e6, max: 4102444800 }) },
      { weight: 1, arbitrary: fc.integer({ min: -1e15, max: 1e15 }) },
      { weight: 1, arbitrary: fc.constantFrom(0, -0, 1.5, 1e21, Number.MAX_SAFE_INTEGER, 4102444800) },
      { weight: 1, arbitrary: fc.constantFrom(null, true, [], {}) },
    );
    const name = fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(...names) },
      { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
    );
    const members = fc.oneof(
      fc.uniqueArray(fc.tuple(name, value), { maxLength: 8, selector: ([k]) => k }),
      fc.array(fc.tuple(name, value), { maxLength: 8 }),
    );
    const text = members.map(
      (m) => `{${m.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`,
    );
    let read = 0;
    fc.assert(
      fc.property(
        text,
        fc.nat(),
        fc.oneof(
          { weight: 3, arbitrary: fc.constant(-1) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
        ),
        (t, at, byte) => {
          const bytes = Buffer.from(t, 'utf8');
          // Unchanged (-1, three cases in four) or one byte changed; and cut short.
          if (byte >= 0) bytes[at % bytes.length] = byte;
          if (sameAsGeneral(bytes)) read++;
          sameAsGeneral(bytes.subarray(0, at % (bytes.length + 1)));
        },
      ),
      { numRuns: 20_000 },
    );
    // The property is not vacuous: many of the generated texts are read by the fast reader.
    expect(read).toBeGreaterThan(3_000);
  });
});
