/** What the user typed, checked against the schemas before anything is sent, with a hint for the usual mistakes. */
import { HcxError } from '../core/errors';
import { assertValidAgainst } from '../core/schemas/validators-by-id';
import type { CliError } from './errors';

/** A hint for a schema failure's detail (`/holder/idNumber: format`), or ''. */
function hint(detail: string): string {
  if (detail.includes('idNumber'))
    return ' (a resident ID number, type 10, has 18 characters and a valid check character)';
  if (detail.includes('idType')) return ' (10 resident card, 14, 15, 20 passport, 34, 99)';
  if (detail.includes('status')) return ' (green, yellow or red)';
  if (detail.includes('validitySeconds')) return ' (60 to 604800 seconds)';
  return '';
}

/**
 * `value` as `T` when it is valid against the schema `schemaId`; otherwise the error `refuse` makes
 * from the schema detail and its hint (the detail names the field and the rule, never the value).
 */
export function checked<T>(schemaId: string, value: unknown, refuse: (why: string) => CliError): T {
  try {
    return assertValidAgainst<T>(schemaId, value);
  } catch (e) {
    if (!(e instanceof HcxError)) throw e;
    const detail = e.detail ?? e.message;
    throw refuse(`${detail}${hint(detail)}`);
  }
}
