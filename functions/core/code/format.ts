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
 * Decoding digit pairs, two characters at a time: a pair's two character codes read as one 16-bit
 * word (in the platform's byte order) index {@link PAIRS}, which holds the JWS character they stand
 * for, or 0 for anything but a pair of 00–77. Built at the first QR-form code (64 KiB).
 */
let PAIRS: Uint8Array | undefined;
function pairs(): Uint8Array {
  if (PAIRS) return PAIRS;
  const table = new Uint8Array(65_536);
  const probe = new Uint8Array(2);
  const word = new Uint16Array(probe.buffer);
  for (let v = 0; v <= MAX_PAIR; v++) {
    probe[0] = 48 + Math.floor(v / 10);
    probe[1] = 48 + (v % 10);
    table[word[0]] = v + OFFSET;
  }
  PAIRS = table;
  return table;
}

/** Where the digits are copied to be read as 16-bit words (what {@link hcx2Jws} admits fits). */
const DIGITS = new Uint8Array(8192);
const DIGIT_WORDS = new Uint16Array(DIGITS.buffer);
const DIGIT_BUFFER = Buffer.from(DIGITS.buffer);

/**
 * The compact JWS the digits of `text` from index `start` stand for, or `undefined` when they are
 * not digit pairs of 00–77 (what the pairs decode to is then checked as any JWS is).
 */
export function jwsFromDigits(text: string, start: number): string | undefined {
  const n = text.length - start;
  if (n <= 0 || n % 2 !== 0) return undefined;
  const half = n / 2;
  // Longer than any code: a buffer of its own (the words must start at an even offset).
  const bytes = n + half <= DIGITS.length ? DIGIT_BUFFER : Buffer.from(new ArrayBuffer(n + half + 1));
  const words = bytes === DIGIT_BUFFER ? DIGIT_WORDS : new Uint16Array(bytes.buffer, 0, half);
  // latin1 keeps a character's low byte: anything above U+00FF must not pass as a digit.
  if (bytes.write(text.slice(start), 0, 'latin1') !== n || Buffer.byteLength(text, 'utf8') !== text.length)
    return undefined;
  const table = pairs();
  // The JWS characters go after the digits (the words are read before their bytes are written).
  const out = n;
  let bad = 0;
  for (let k = 0; k < half; k++) {
    const c = table[words[k]];
    bad |= c === 0 ? 1 : 0;
    bytes[out + k] = c;
  }
  return bad ? undefined : bytes.toString('latin1', out, out + half);
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
