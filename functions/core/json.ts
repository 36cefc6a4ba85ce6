/**
 * Strict JSON for everything hcx reads from outside: JWS headers and payloads, request bodies.
 *
 * `JSON.parse` keeps the last of duplicate member names (`{"iss":"B","iss":"A"}` reads as A), lets
 * `__proto__` through as an own key that later code may merge into a prototype, and has no depth
 * limit. This parser refuses all three, and refuses lone surrogates, so one byte string has exactly
 * one meaning. It is a small recursive-descent parser over the ECMA-404 grammar; the objects it
 * returns have a null prototype-free shape (plain objects built with own data properties only).
 */
import { RequestInvalid } from './errors';

/** Limits for {@link parseStrictJson}. */
export interface StrictJsonOptions {
  /** Deepest allowed nesting of objects/arrays (default 16). */
  readonly maxDepth?: number;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Member names of two or three ASCII characters that hcx's own artefacts use (code claims, JWS
 * headers), by their character codes packed into one number. A name read from the text is
 * otherwise a new string that every property store and lookup must hash and intern; one of these
 * is taken as the constant (the same characters, already interned), which keeps the verification
 * hot path from doing that for each claim of every code. Any other name is read as before.
 */
const NAMES = ['st', 'hn', 'hb', 'si', 'iss', 'jti', 'iat', 'exp', 'nbf', 'idt', 'alg', 'kid', 'typ'];
const KNOWN_NAMES = new Map<number, string>(NAMES.map((name) => [packName(name, 0, name.length), name]));

/** The character codes of `s` from `start` to `end` (at most 3, each below 128) as one number. */
function packName(s: string, start: number, end: number): number {
  let n = 0;
  for (let k = start; k < end; k++) n = n * 128 + s.charCodeAt(k);
  return n;
}

/** Why a JSON text was refused (stable codes, for logs and tests). */
export type StrictJsonProblem = 'SYNTAX' | 'DUPLICATE_KEY' | 'FORBIDDEN_KEY' | 'TOO_DEEP' | 'LONE_SURROGATE';

/** Thrown by {@link parseStrictJson}; a client mistake (400). */
export class JsonRejected extends RequestInvalid {
  readonly problem: StrictJsonProblem;
  constructor(problem: StrictJsonProblem) {
    super(`The body is not acceptable JSON (${problem.toLowerCase().replace(/_/g, ' ')})`);
    this.problem = problem;
  }
}

/** Parse `text` as strict JSON (no duplicate or prototype keys, bounded depth); throws {@link JsonRejected}. */
export function parseStrictJson(text: string, options: StrictJsonOptions = {}): unknown {
  const p = new Parser(text, options.maxDepth ?? 16);
  p.ws();
  const value = p.value(0);
  p.ws();
  if (p.i !== text.length) throw new JsonRejected('SYNTAX');
  return value;
}

class Parser {
  i = 0;
  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
  ) {}

  ws(): void {
    const s = this.s;
    let c = s.charCodeAt(this.i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++this.i);
  }

  value(depth: number): unknown {
    switch (this.s.charCodeAt(this.i)) {
      case 0x7b: // {
        return this.object(depth + 1);
      case 0x5b: // [
        return this.array(depth + 1);
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        return this.number();
    }
  }

  object(depth: number): Record<string, unknown> {
    if (depth > this.maxDepth) throw new JsonRejected('TOO_DEEP');
    const s = this.s;
    this.i++; // {
    const out: Record<string, unknown> = {};
    this.ws();
    if (s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return out;
    }
    for (;;) {
      if (s.charCodeAt(this.i) !== 0x22) throw new JsonRejected('SYNTAX');
      const key = this.knownName() ?? this.string();
      // Only names of 9 or 11 characters can be forbidden: most keys skip the set lookup.
      if ((key.length === 9 || key.length === 11) && FORBIDDEN_KEYS.has(key))
        throw new JsonRejected('FORBIDDEN_KEY');
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new JsonRejected('DUPLICATE_KEY');
      this.ws();
      if (s.charCodeAt(this.i) !== 0x3a) throw new JsonRejected('SYNTAX');
      this.i++;
      this.ws();
      out[key] = this.value(depth);
      this.ws();
      const c = s.charCodeAt(this.i++);
      if (c === 0x7d) return out;
      if (c !== 0x2c) throw new JsonRejected('SYNTAX');
      this.ws();
    }
  }

  array(depth: number): unknown[] {
    if (depth > this.maxDepth) throw new JsonRejected('TOO_DEEP');
    const s = this.s;
    this.i++; // [
    const out: unknown[] = [];
    this.ws();
    if (s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.ws();
      const c = s.charCodeAt(this.i++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) throw new JsonRejected('SYNTAX');
      this.ws();
    }
  }

  /**
   * At an opening quote: a name of {@link KNOWN_NAMES} (2 or 3 plain ASCII characters then the
   * closing quote) is consumed and returned as its constant; anything else is left to
   * {@link Parser.string} (`undefined`).
   */
  knownName(): string | undefined {
    const s = this.s;
    const start = this.i + 1;
    const end =
      s.charCodeAt(start + 2) === 0x22 ? start + 2 : s.charCodeAt(start + 3) === 0x22 ? start + 3 : -1;
    if (end < 0) return undefined;
    // The table holds lower-case ASCII letters only: any other character (a quote, a backslash,
    // a control character, NUL, anything non-ASCII) leaves the name to the general reader, and
    // letters (97-122) pack one-to-one, whatever the length.
    for (let k = start; k < end; k++) {
      const c = s.charCodeAt(k);
      if (c < 0x61 || c > 0x7a) return undefined;
    }
    const name = KNOWN_NAMES.get(packName(s, start, end));
    if (name !== undefined) this.i = end + 1;
    return name;
  }

  string(): string {
    const s = this.s;
    const start = ++this.i; // opening quote
    // Fast path: no escapes, no control characters, no surrogates.
    for (let j = start; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === 0x22) {
        this.i = j + 1;
        return s.slice(start, j);
      }
      if (c === 0x5c || c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) break;
    }
    return this.slowString(start);
  }

  private slowString(start: number): string {
    const s = this.s;
    let out = '';
    let j = start;
    for (;;) {
      if (j >= s.length) throw new JsonRejected('SYNTAX');
      const c = s.charCodeAt(j);
      if (c === 0x22) break;
      if (c < 0x20) throw new JsonRejected('SYNTAX');
      if (c === 0x5c) {
        const e = s[j + 1];
        j += 2;
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = s.slice(j, j + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonRejected('SYNTAX');
            out += String.fromCharCode(parseInt(hex, 16));
            j += 4;
            break;
          }
          default:
            throw new JsonRejected('SYNTAX');
        }
        continue;
      }
      out += s[j];
      j++;
    }
    this.i = j + 1;
    if (!out.isWellFormed()) throw new JsonRejected('LONE_SURROGATE');
    return out;
  }

  literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.i)) throw new JsonRejected('SYNTAX');
    this.i += word.length;
    return v;
  }

  /** ECMA-404 number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, scanned in place. */
  number(): number {
    const s = this.s;
    const start = this.i;
    let j = start;
    if (s.charCodeAt(j) === 0x2d) j++; // -
    const first = s.charCodeAt(j);
    if (first === 0x30) j++;
    else if (first >= 0x31 && first <= 0x39) j = digits(s, j + 1);
    else throw new JsonRejected('SYNTAX');
    const next = s.charCodeAt(j);
    if (next !== 0x2e && next !== 0x65 && next !== 0x45 && j - start <= 15) {
      // An integer of at most 15 digits (every NumericDate): exact in a double, read as it was
      // scanned, with the value `Number` would give.
      let n = 0;
      for (let k = s.charCodeAt(start) === 0x2d ? start + 1 : start; k < j; k++)
        n = n * 10 + s.charCodeAt(k) - 0x30;
      this.i = j;
      return s.charCodeAt(start) === 0x2d ? -n : n;
    }
    if (s.charCodeAt(j) === 0x2e) {
      const k = digits(s, j + 1);
      if (k === j + 1) throw new JsonRejected('SYNTAX');
      j = k;
    }
    const e = s.charCodeAt(j);
    if (e === 0x65 || e === 0x45) {
      j++;
      const sign = s.charCodeAt(j);
      if (sign === 0x2b || sign === 0x2d) j++;
      const k = digits(s, j);
      if (k === j) throw new JsonRejected('SYNTAX');
      j = k;
    }
    // As long a number as a 40-character window holds, no more: nothing hcx reads needs one.
    if (j - start > 40) throw new JsonRejected('SYNTAX');
    this.i = j;
    const n = Number(s.slice(start, j));
    if (!Number.isFinite(n)) throw new JsonRejected('SYNTAX');
    return n;
  }
}

/** Index of the first non-digit of `s` at or after `j`. */
function digits(s: string, j: number): number {
  let c = s.charCodeAt(j);
  while (c >= 0x30 && c <= 0x39) c = s.charCodeAt(++j);
  return j;
}

/** The slot of each of {@link NAMES} (its bit in a set of names seen) by its packed code. */
const NAME_SLOTS = new Map<number, number>(NAMES.map((name, slot) => [packName(name, 0, name.length), slot]));
const FLAT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The object {@link parseStrictJson} gives for the UTF-8 JSON text in `bytes[0, n)`, read straight
 * from the bytes, when the text is in the compact flat form hcx's issuers write: one object, no
 * white space, member names of {@link NAMES} each at most once, values that are strings
 * without escapes or control characters, or integers of at most 15 characters. Anything else gives
 * `undefined`, and the caller then parses the text (which accepts or refuses it, with its reason).
 * A code's claims are this form, so the verification hot path neither decodes the payload into a
 * string nor runs the general parser; test/core/strict-json.test.ts holds the two to the same
 * object on every form it accepts.
 */
export function readCompactFlatJson(bytes: Buffer, n: number): Record<string, unknown> | undefined {
  if (n < 2 || n > bytes.length || bytes[0] !== 0x7b || bytes[n - 1] !== 0x7d) return undefined;
  const out: Record<string, unknown> = {};
  if (n === 2) return out;
  let seen = 0;
  let i = 1;
  for (;;) {
    // A name: a quote, 2 or 3 lower-case letters, a quote, a colon.
    if (i + 4 >= n || bytes[i] !== 0x22) return undefined;
    const start = i + 1;
    const end = bytes[start + 2] === 0x22 ? start + 2 : bytes[start + 3] === 0x22 ? start + 3 : -1;
    if (end < 0 || end + 2 >= n || bytes[end + 1] !== 0x3a) return undefined;
    let packed = 0;
    for (let k = start; k < end; k++) {
      const c = bytes[k];
      if (c < 0x61 || c > 0x7a) return undefined;
      packed = packed * 128 + c;
    }
    const slot = NAME_SLOTS.get(packed);
    if (slot === undefined || (seen & (1 << slot)) !== 0) return undefined;
    seen |= 1 << slot;
    i = end + 2;
    let value: string | number;
    const first = bytes[i];
    if (first === 0x22) {
      const from = i + 1;
      let j = from;
      let high = 0;
      for (; j < n; j++) {
        const c = bytes[j];
        if (c === 0x22) break;
        if (c === 0x5c || c < 0x20) return undefined;
        high |= c;
      }
      if (j >= n) return undefined;
      if ((high & 0x80) === 0) value = bytes.toString('latin1', from, j);
      else {
        try {
          value = FLAT_UTF8.decode(bytes.subarray(from, j));
        } catch {
          return undefined;
        }
      }
      i = j + 1;
    } else {
      // -?(0|[1-9][0-9]*), as parseStrictJson reads an integer of at most 15 characters
      let j = first === 0x2d ? i + 1 : i;
      const lead = bytes[j];
      let v = 0;
      if (lead === 0x30) j++;
      else if (lead >= 0x31 && lead <= 0x39) {
        for (; j < n; j++) {
          const c = bytes[j];
          if (c < 0x30 || c > 0x39) break;
          v = v * 10 + c - 0x30;
        }
      } else return undefined;
      if (j - i > 15) return undefined;
      value = first === 0x2d ? -v : v;
      i = j;
    }
    out[NAMES[slot]] = value;
    const next = bytes[i];
    if (next === 0x7d) return i === n - 1 ? out : undefined;
    if (next !== 0x2c || i >= n - 1) return undefined;
    i++;
  }
}
