/**
 * The strict base64url decoder (functions/core/b64.ts) checks canonical form without re-encoding;
 * these tests hold it to the definition it replaces: a segment is accepted exactly when Node's
 * decoding of it re-encodes to itself, and then gives the same bytes.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { b64urlDecodedLength, decodeB64url, decodeB64urlBytes } from '../../functions/core/b64';
import { parseCompactJws } from '../../functions/core/jws/compact';
import { JwsRejected } from '../../functions/core/errors';
import { CODE_PROFILE } from '../../functions/core/profiles';

/** The definition: one value, one string. */
function reference(segment: string): Buffer | undefined {
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

/**
 * Every way into the decoders: Node's (allocating), and the one reading the segment's bytes (its
 * UTF-8: a token's copy holds ASCII only, any other character must be refused) inside a longer
 * copy, into a buffer at 0, into another at an offset, and into the copy itself, ahead of the
 * segment (as a signature is decoded).
 */
function decodeAll(segment: string): Array<Buffer | undefined> {
  const copy = Buffer.from(`Q.${segment}.QUJD`, 'utf8');
  const end = copy.length - 5;
  const at0 = Buffer.alloc(64);
  const at5 = new Uint8Array(64);
  const n0 = decodeB64urlBytes(copy, 2, end, at0);
  const n5 = decodeB64urlBytes(copy, 2, end, at5, 5);
  const nInPlace = decodeB64urlBytes(copy, 2, end, copy, 1);
  expect(n5).toBe(n0);
  expect(nInPlace).toBe(n0);
  return [
    decodeB64url(segment),
    n0 < 0 ? undefined : at0.subarray(0, n0),
    n5 < 0 ? undefined : Buffer.from(at5.subarray(5, 5 + n5)),
    nInPlace < 0 ? undefined : Buffer.from(copy.subarray(1, 1 + nInPlace)),
  ];
}

describe('decodeB64url', () => {
  it('decodes every canonical encoding to its bytes', () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = randomBytes(n);
      const segment = bytes.toString('base64url');
      expect(b64urlDecodedLength(segment.length)).toBe(n);
      for (const decoded of decodeAll(segment)) expect(decoded).toEqual(bytes);
    }
  });

  it.each([
    ['padding', 'QQ=='],
    ['padding, 3-character group', 'QUI='],
    ['standard base64 +', 'a+b_'],
    ['standard base64 /', 'a/b_'],
    ['a space', 'QUJD REVG'],
    ['a newline', 'QUJD\nREVG'],
    ['a character outside the alphabet', 'QUJ$'],
    ['a Latin-1 character', 'QUJé'],
    ['a character Node reads by its low byte (U+0141 as A)', 'QUJ\u0141'],
    ['a character whose low 7 bits are a letter (U+00C1)', 'QUJ\u00c1'],
    ['a character whose low 7 bits are a letter (U+01C1), in a full group', '\u01c1UJD'],
    ['U+0080', 'QUJ\u0080'],
    ['a lone surrogate', 'QUJ\ud800'],
    ['NUL', 'QUJ\u0000'],
    ['length 1 mod 4', 'QUJDR'],
    ['non-zero unused bits, 2-character group', 'QR'],
    ['non-zero unused bits, 3-character group', 'QUJ'],
    ['a dot', 'QU.D'],
  ])('refuses %s', (_what, segment) => {
    expect(reference(segment)).toBeUndefined();
    for (const decoded of decodeAll(segment)) expect(decoded).toBeUndefined();
  });

  it('refuses bytes that do not fit the target buffer', () => {
    const abc = Buffer.from('QUJD', 'latin1');
    expect(decodeB64urlBytes(abc, 0, 4, Buffer.alloc(2))).toBe(-1);
    expect(decodeB64urlBytes(abc, 0, 4, Buffer.alloc(4), 2)).toBe(-1);
    expect(decodeB64urlBytes(abc, 0, 4, Buffer.alloc(3))).toBe(3);
    const ascii = Buffer.from('xQUJDx', 'latin1');
    expect(decodeB64urlBytes(ascii, 1, 5, new Uint8Array(3), 1)).toBe(-1);
    expect(decodeB64urlBytes(ascii, 1, 5, new Uint8Array(3))).toBe(3);
    expect(decodeB64urlBytes(ascii, 5, 1, new Uint8Array(3))).toBe(-1); // a reversed range
    expect(decodeB64urlBytes(ascii, 2, 7, new Uint8Array(3))).toBe(-1); // past the end of the bytes
  });

  it('agrees with the re-encoding definition on arbitrary strings', () => {
    // Mostly base64url characters, so that many strings are canonical, plus every kind of intruder.
    const intruders = '+/= \n\t.$\u00e9\u00ff\u0100\u0141\u00c1\u01c1\u0080\u20ac\ud800\udc00\u0000';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const char = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...alphabet) },
      { weight: 1, arbitrary: fc.constantFrom(...intruders) },
    );
    let canonical = 0;
    fc.assert(
      fc.property(fc.array(char, { maxLength: 24 }), (chars) => {
        const segment = chars.join('');
        const expected = reference(segment);
        if (expected) canonical++;
        for (const decoded of decodeAll(segment)) expect(decoded).toEqual(expected);
      }),
      { numRuns: 20_000 },
    );
    // The property saw both sides.
    expect(canonical).toBeGreaterThan(1000);
  });
});

describe('the JWS signature segment', () => {
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'A'.repeat(11), typ: 'hcx2' })).toString(
    'base64url',
  );
  const payload = Buffer.from('{"a":1}').toString('base64url');
  const reason = (signature: string): string => {
    try {
      parseCompactJws(`${header}.${payload}.${signature}`, CODE_PROFILE);
    } catch (e) {
      expect(e).toBeInstanceOf(JwsRejected);
      return (e as JwsRejected).reason;
    }
    return 'PARSED';
  };
  const sig = randomBytes(64).toString('base64url');

  it('is read into the bytes after the signing input', () => {
    const jws = parseCompactJws(`${header}.${payload}.${sig}`, CODE_PROFILE);
    expect(jws.signature).toEqual(Buffer.from(sig, 'base64url'));
    expect(Buffer.from(jws.signingInput).toString('latin1')).toBe(`${header}.${payload}`);
  });

  it('is MALFORMED when not canonical, SIGNATURE_INVALID when canonical of the wrong length', () => {
    expect(reason(`${sig.slice(0, -1)}+`)).toBe('MALFORMED');
    expect(reason(`${sig.slice(0, -1)}B`)).toBe('MALFORMED'); // unused bits set
    expect(reason(`${sig}AAA`)).toBe('MALFORMED'); // length 1 mod 4
    expect(reason(`${sig}==`)).toBe('MALFORMED');
    expect(reason(randomBytes(63).toString('base64url'))).toBe('SIGNATURE_INVALID');
    expect(reason(randomBytes(65).toString('base64url'))).toBe('SIGNATURE_INVALID');
    expect(reason(`${sig.slice(0, 40)}$${sig.slice(41)}`)).toBe('MALFORMED');
  });
});
