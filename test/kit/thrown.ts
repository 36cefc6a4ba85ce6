/** Run `act` and return what it threw; fails the test when it returns instead. */
export function thrown(act: () => unknown): unknown {
  try {
    act();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}
