/**
 * GB 11643 resident identity numbers: 18 characters, a real birth date, and an ISO 7064 MOD 11-2
 * check character (X for 10). A typo must be a clear 400, not a code bound to nobody.
 */
import { isValidResidentId } from '../../functions/core/schemas/validators';
import { RESIDENT_IDS } from './fixtures';

/** Append the MOD 11-2 check character to 17 digits (written independently of the code under test). */
function withCheck(first17: string): string {
  let remainder = 0;
  for (const digit of first17) remainder = ((remainder + Number(digit)) * 2) % 11;
  const check = (12 - remainder) % 11;
  return first17 + (check === 10 ? 'X' : String(check));
}

describe('isValidResidentId', () => {
  it.each(Object.entries(RESIDENT_IDS))('accepts the %s sample', (_name, id) => {
    expect(isValidResidentId(id)).toBe(true);
  });

  it('accepts the example printed in GB 11643-1999 (born 1880)', () => {
    expect(isValidResidentId('440524188001010014')).toBe(true);
  });

  it('agrees with an independent MOD 11-2 implementation, including every X', () => {
    // Prepare: a spread of sequence numbers so that all eleven check values occur.
    const ids = Array.from({ length: 200 }, (_, i) =>
      withCheck(`33010619850615${String(i).padStart(3, '0')}`),
    );

    // Act
    const results = ids.map(isValidResidentId);

    // Assert
    expect(new Set(ids.map((id) => id[17])).size).toBe(11);
    expect(results.every(Boolean)).toBe(true);
  });

  it('refuses every other check character', () => {
    // Prepare
    const good = RESIDENT_IDS.beijing;
    const others = [...'0123456789X'].filter((c) => c !== good[17]).map((c) => good.slice(0, 17) + c);

    // Act
    const results = others.map(isValidResidentId);

    // Assert
    expect(results).toEqual(others.map(() => false));
  });

  it('accepts a lower-case x check character, as people often write it', () => {
    expect(isValidResidentId(RESIDENT_IDS.withX.replace('X', 'x'))).toBe(true);
  });

  it('refuses a lower-case x where the check value is not 10', () => {
    expect(isValidResidentId(`${RESIDENT_IDS.beijing.slice(0, 17)}x`)).toBe(false);
  });

  it.each([
    ['February 30', '19900230'],
    ['February 29 of a non-leap year', '19000229'],
    ['month 13', '19901301'],
    ['month 00', '19900001'],
    ['day 00', '19900100'],
    ['April 31', '19900431'],
    ['year 1799', '17991231'],
    ['year 2100', '21000101'],
  ])('refuses a birth date on %s even with a correct check character', (_what, date) => {
    expect(isValidResidentId(withCheck(`110101${date}123`))).toBe(false);
  });

  it('accepts February 29 of a leap year', () => {
    expect(isValidResidentId(withCheck('11010120000229123'))).toBe(true);
  });

  it.each([
    ['17 characters', '11010519491231002'],
    ['19 characters', '11010519491231002X0'],
    ['a letter inside', '1101051949123100AX'],
    ['a leading zero region', withCheck('01010519491231002')],
    ['full-width digits', '１１０１０５１９４９１２３１００２Ｘ'],
    ['surrounding spaces', ` ${RESIDENT_IDS.withX} `],
    ['the empty string', ''],
  ])('refuses %s', (_what, id) => {
    expect(isValidResidentId(id)).toBe(false);
  });
});
