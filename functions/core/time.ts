/**
 * NumericDate (JWT seconds) to the RFC 3339 strings of JSON API responses: one formatter for every
 * response field that shows a NumericDate (docs/contract.md: "times in JSON API responses are
 * RFC 3339 strings"), the verifier's, the province's and the CLI's.
 */

/**
 * RFC 3339 UTC time of NumericDate `seconds`, exactly as `Date.prototype.toISOString` writes it, by
 * integer arithmetic (days to civil date, H. Hinnant's algorithm): two of these run on every
 * verification and `toISOString` costs more than the rest of the result.
 */
export function isoTime(seconds: number): string {
  // fractions and years outside 0000–9999 are left to toISOString (same output, slower)
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 253_402_300_799) {
    return new Date(seconds * 1000).toISOString();
  }
  const days = Math.floor(seconds / 86_400);
  const rest = seconds - days * 86_400;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(rest / 3600);
  const m = Math.floor((rest - h * 3600) / 60);
  const sec = rest - h * 3600 - m * 60;
  // One string of 24 character codes (digits are 48 + d): no number-to-string conversion and no
  // concatenation of a dozen pieces.
  return String.fromCharCode(
    48 + Math.floor(year / 1000),
    48 + (Math.floor(year / 100) % 10),
    48 + (Math.floor(year / 10) % 10),
    48 + (year % 10),
    45, // -
    48 + Math.floor(month / 10),
    48 + (month % 10),
    45, // -
    48 + Math.floor(day / 10),
    48 + (day % 10),
    84, // T
    48 + Math.floor(h / 10),
    48 + (h % 10),
    58, // :
    48 + Math.floor(m / 10),
    48 + (m % 10),
    58, // :
    48 + Math.floor(sec / 10),
    48 + (sec % 10),
    46, // .
    48,
    48,
    48,
    90, // Z
  );
}
