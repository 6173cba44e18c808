import { describe, it } from '@jest/globals';

/**
 * `describe` for a suite that needs Redis: when `reason` says it cannot run
 * here, skipped with a warning, or, under CI, a failing test, since CI must
 * run it.
 */
export function describeWithRedis(
  name: string,
  reason: string | undefined,
  suite: () => void,
): void {
  if (reason === undefined) {
    describe(name, suite);
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs a Redis server under CI', () => {
        throw new Error(`${name}: ${reason}`);
      });
    });
  } else {
    console.warn(`SKIPPED: ${name}: ${reason}.`);
    describe.skip(`${name} (skipped: ${reason})`, () => {
      it('runs against a real Redis', () => undefined);
    });
  }
}
