// Debian's chromium, driven by playwright-core: the one browser the inspector's tests and benchmark use.
// No browser is downloaded (playwright's own builds are not reachable); .ci/run installs the apt package.

import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumPresent(): boolean {
  return existsSync(CHROMIUM);
}

/** Headless, no sandbox (CI runs as root), and no background networking: this machine has no network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}
