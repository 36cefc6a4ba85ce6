/**
 * The QR form of an HCX2 code. A compact JWS is base64url text, which a QR symbol can only hold in
 * byte mode (8 bits a character); as SMART Health Cards do, the symbol holds it in numeric mode
 * instead, each character as two digits (its code minus 45: `-` → 00, `.` → 01, `z` → 77), 6.7 bits
 * a character: `HCX2:` (alphanumeric segment) followed by the digits (numeric segment).
 * docs/code-format.md explains the choice; `verifyCode` accepts a code in either form.
 */
import { CODE_PREFIX } from '../profiles';

/** `-`, the lowest character of the base64url alphabet and of `.`. */
const OFFSET = 45;
/** `z` − 45: the largest pair. */
const MAX_PAIR = 77;

/** One segment of a QR symbol, as the `qrcode` package takes it. */
export interface QrSegment {
  readonly data: string;
  readonly mode: 'alphanumeric' | 'numeric' | 'byte';
}

/** True when `code` (after its prefix) is in QR form: digits only. */
export function isQrForm(code: string): boolean {
  const c = code.charCodeAt(CODE_PREFIX.length);
  return code.startsWith(CODE_PREFIX) && c >= 48 && c <= 57;
}

/** The JWS characters as digit pairs. */
function digitsOf(jws: string): string {
  let out = '';
  for (let i = 0; i < jws.length; i++) {
    const v = jws.charCodeAt(i) - OFFSET;
    if (v < 0 || v > MAX_PAIR) throw new Error('not a compact JWS: a character outside base64url and "."');
    out += v < 10 ? `0${v}` : `${v}`;
  }
  return out;
}

/**
 * The text an HCX2 code's QR symbol holds (`HCX2:` + digits), what any QR reader returns. An HCX1
 * code is its own QR text.
 */
export function qrText(code: string): string {
  return code.startsWith(CODE_PREFIX) && !isQrForm(code)
    ? `${CODE_PREFIX}${digitsOf(code.slice(CODE_PREFIX.length))}`
    : code;
}

/** The segments to draw `code` with: alphanumeric prefix + numeric JWS (HCX2), or one byte segment. */
export function qrSegments(code: string): QrSegment[] {
  const text = qrText(code);
  if (!text.startsWith(CODE_PREFIX)) return [{ data: text, mode: 'byte' }];
  return [
    { data: CODE_PREFIX, mode: 'alphanumeric' },
    { data: text.slice(CODE_PREFIX.length), mode: 'numeric' },
  ];
}

/**
 * The compact JWS the digits of `text` from index `start` stand for, or `undefined` when they are
 * not digit pairs of 00–77 (what the pairs decode to is then checked as any JWS is).
 */
export function jwsFromDigits(text: string, start: number): string | undefined {
  const n = text.length - start;
  if (n <= 0 || n % 2 !== 0) return undefined;
  const out = Buffer.allocUnsafe(n / 2);
  for (let i = start, j = 0; i < text.length; i += 2, j++) {
    const a = text.charCodeAt(i) - 48;
    const b = text.charCodeAt(i + 1) - 48;
    if (a < 0 || a > 9 || b < 0 || b > 9) return undefined;
    const v = a * 10 + b;
    if (v > MAX_PAIR) return undefined;
    out[j] = v + OFFSET;
  }
  return out.toString('latin1');
}

/**
 * The code a QR text stands for: an HCX2 QR form back to `HCX2:` + compact JWS; anything else
 * (an HCX1 code, a code already in text form, garbage) unchanged, for `verifyCode` to judge.
 */
export function codeFromQrText(text: string): string {
  if (!isQrForm(text)) return text;
  const jws = jwsFromDigits(text, CODE_PREFIX.length);
  return jws === undefined ? text : `${CODE_PREFIX}${jws}`;
}
