/**
 * Chromium for the browser tests: the Debian `chromium` package driven by playwright-core (no
 * browser download). Outside CI a machine without it skips these tests and says so in one line; in
 * CI (`CI=true`, where .ci/run installs the package) a missing browser fails them.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.HCX_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);

/** `describe`, or `describe.skip` with one line saying why, when Chromium is absent outside CI. */
export function describeWithChromium(name: string, fn: () => void): void {
  if (!chromiumAvailable && process.env.CI !== 'true') {
    process.stderr.write(`${name}: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);
    // eslint-disable-next-line no-restricted-syntax -- the documented local-only skip
    describe.skip(name, fn);
    return;
  }
  describe(name, fn);
}

export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
