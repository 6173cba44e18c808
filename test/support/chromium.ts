import { accessSync, constants } from 'node:fs';

/** Debian's Chromium (`apt-get install chromium`), which `.ci/run` installs. */
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * The browser the docs suite drives with playwright-core, which downloads
 * none of its own: `CHROMIUM_PATH`, or else Debian's Chromium.
 */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || DEBIAN_CHROMIUM;
}

/** Why the browser suite cannot run here, or `undefined` when it can. */
export function chromiumUnavailableReason(): string | undefined {
  const path = chromiumPath();
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return path === DEBIAN_CHROMIUM
      ? `no Chromium at ${path}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium executable`
      : `no Chromium at ${path}, which CHROMIUM_PATH names: point it at a Chromium executable, or unset it to use ${DEBIAN_CHROMIUM}`;
  }
}
