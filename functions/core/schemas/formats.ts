/**
 * The `format`s the schemas use, for the precompiled validators (validators.gen.ts requires this
 * module) and for the generator that compiles them: RFC 3339 `date-time` and `uri-reference` from
 * ajv-formats (its plain table of format functions, not its Ajv plugin), and GB 11643 resident
 * identity numbers. A schema naming any other format fails generation (Ajv strict mode).
 */
import type * as AjvFormats from 'ajv-formats/dist/formats';

// ajv-formats' table (about 8 KB of functions and patterns, most of them formats hcx never names) is
// loaded the first time a value is checked against one of its formats, not when the validators
// load: a Lambda bundle has it as a side bundle, not parsed at cold start (docs/deploy.md#cold-start).
let table: typeof AjvFormats.fullFormats | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, synchronous load (see above)
const fullFormats = () => (table ??= (require('ajv-formats/dist/formats') as typeof AjvFormats).fullFormats);
type DateTime = {
  validate: (value: string) => boolean;
  compare: (a: string, b: string) => number | undefined;
};

/** ISO 7064 MOD 11-2 weights of the first 17 characters of a GB 11643 number (2^(17-i) mod 11). */
const GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const GB11643_CHECK = '10X98765432';
const GB11643_SHAPE = /^[1-9][0-9]{16}[0-9Xx]$/;

/**
 * True when `idNumber` is a well-formed GB 11643 resident identity number: 18 characters, a real
 * birth date (1800-01-01 to 2099-12-31) in positions 7-14, and the MOD 11-2 check character
 * (`X` for 10; a lower-case `x` is accepted too, the holder binding upper-cases it).
 */
export function isValidResidentId(idNumber: string): boolean {
  if (typeof idNumber !== 'string' || !GB11643_SHAPE.test(idNumber)) return false;
  const year = Number(idNumber.slice(6, 10));
  const month = Number(idNumber.slice(10, 12));
  const day = Number(idNumber.slice(12, 14));
  if (year < 1800 || year > 2099 || month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one; UTC avoids any local-time quirk.
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (idNumber.charCodeAt(i) - 48) * GB11643_WEIGHTS[i];
  return idNumber[17].toUpperCase() === GB11643_CHECK[sum % 11];
}

/** Every format a schema may name, as Ajv format definitions. */
export const formats = {
  // The same definitions as ajv-formats' (`validate` and `compare`), looked up at each call.
  'date-time': {
    validate: (value: string) => (fullFormats()['date-time'] as DateTime).validate(value),
    compare: (a: string, b: string) => (fullFormats()['date-time'] as DateTime).compare(a, b),
  },
  'uri-reference': { validate: (value: string) => (fullFormats()['uri-reference'] as RegExp).test(value) },
  gb11643: { type: 'string' as const, validate: isValidResidentId },
};
