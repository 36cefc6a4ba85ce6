/**
 * The claims check of an HCX2 code on the verification hot path: exactly what
 * schemas/code-claims.json accepts (the compiled `isCodeClaims` of validators.gen.ts), written
 * out. The compiled validator calls one function per claim with a fresh options object and path
 * string and tests Unicode regular expressions; this reads each claim once, in place. The schema
 * stays the definition: test/core/code-claims.test.ts holds this check to the compiled validator
 * on every kind of claim value (a differential property test), so the two cannot drift apart
 * unnoticed. HCX1 codes still use the compiled validator.
 */
import { isB64urlText } from '../b64';
import type { CodeClaims } from '../schemas/types.gen';

/** The claims the schema allows (`additionalProperties: false`). */
const CLAIMS = new Set(['iss', 'jti', 'iat', 'exp', 'nbf', 'st', 'hn', 'hb', 'idt', 'si']);
/** common.json numericDate's maximum (2100-01-01) and code-claims.json `si`'s. */
const MAX_NUMERIC_DATE = 4102444800;
const MAX_STATUS_INDEX = 1099511627775;

function integerIn(x: unknown, max: number): boolean {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= max;
}

/** region.json province: `^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])0000$`. */
function isProvince(x: unknown): boolean {
  if (typeof x !== 'string' || x.length !== 6) return false;
  for (let i = 2; i < 6; i++) if (x.charCodeAt(i) !== 0x30) return false;
  const a = x.charCodeAt(0) - 0x30;
  const b = x.charCodeAt(1) - 0x30;
  if (b < 0 || b > 9) return false;
  switch (a) {
    case 1:
    case 6:
      return b >= 1 && b <= 5;
    case 2:
      return b >= 1 && b <= 3;
    case 3:
      return b >= 1 && b <= 7;
    case 4:
      return b >= 1 && b <= 6;
    case 5:
      return b <= 4;
    case 7:
      return b === 1;
    case 8:
      return b === 1 || b === 2;
    default:
      return false;
  }
}

/** ECMAScript `\s` (WhiteSpace and LineTerminator), what the pattern's `[^\s*]` excludes. */
function isSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * maskedName: `^[^\s*]\*+$` (one code point, not white space or `*`, then one or more `*`), 2 to 32
 * code points (`minLength`/`maxLength` count code points, a surrogate pair as one).
 */
function isMaskedName(x: unknown): boolean {
  if (typeof x !== 'string') return false;
  const first = x.charCodeAt(0);
  if (Number.isNaN(first) || first === 0x2a || isSpace(first)) return false;
  // A high surrogate followed by a low one is one code point (two units).
  const units = first >= 0xd800 && first <= 0xdbff && (x.charCodeAt(1) & 0xfc00) === 0xdc00 ? 2 : 1;
  const stars = x.length - units;
  if (stars < 1 || stars > 31) return false;
  for (let i = units; i < x.length; i++) if (x.charCodeAt(i) !== 0x2a) return false;
  return true;
}

/** Whether `x` is the claims of an HCX2 code: exactly schemas/code-claims.json. */
export function isCodeClaimsShape(x: unknown): x is CodeClaims {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const c = x as Record<string, unknown>;
  if (
    c.iss === undefined ||
    c.jti === undefined ||
    c.iat === undefined ||
    c.exp === undefined ||
    c.st === undefined ||
    c.hn === undefined ||
    c.hb === undefined ||
    c.idt === undefined
  )
    return false;
  for (const name in c) if (!CLAIMS.has(name)) return false;
  const { st, idt } = c;
  return (
    isProvince(c.iss) &&
    typeof c.jti === 'string' &&
    isB64urlText(c.jti, 22) &&
    integerIn(c.iat, MAX_NUMERIC_DATE) &&
    integerIn(c.exp, MAX_NUMERIC_DATE) &&
    (c.nbf === undefined || integerIn(c.nbf, MAX_NUMERIC_DATE)) &&
    (st === 'green' || st === 'yellow' || st === 'red') &&
    isMaskedName(c.hn) &&
    typeof c.hb === 'string' &&
    isB64urlText(c.hb, 32) &&
    (idt === '10' || idt === '14' || idt === '15' || idt === '20' || idt === '34' || idt === '99') &&
    (c.si === undefined || integerIn(c.si, MAX_STATUS_INDEX))
  );
}
