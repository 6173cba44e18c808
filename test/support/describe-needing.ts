import { describe, it } from '@jest/globals';

/** What a suite may need beside Node; `.ci/run` installs each of them. */
export type SuiteNeed = 'a Redis server' | 'Chromium' | 'a Python with PyJWT';

/**
 * `describe` for a suite that needs something beside Node. When `reason`
 * says it is missing here, the suite is skipped with a warning (and counted
 * as skipped in the summary), so that `npm test` passes with Node alone;
 * under CI (`CI` set), where it must run, it is instead one failing test
 * that says what is missing.
 *
 * @param reason what is missing and how to get it, or `undefined` when the
 *   suite can run here.
 */
export function describeNeeding(
  name: string,
  {
    needs,
    reason,
  }: { readonly needs: SuiteNeed; readonly reason: string | undefined },
  suite: () => void,
): void {
  if (reason === undefined) {
    describe(name, suite);
  } else if (process.env.CI) {
    describe(name, () => {
      it(`needs ${needs} under CI`, () => {
        throw new Error(`${name} cannot run: ${reason}`);
      });
    });
  } else {
    // Not console.warn: Jest does not print the console of a test file whose
    // tests are all skipped.
    process.stderr.write(`\nSKIPPED: ${name}: ${reason}.\n\n`);
    describe.skip(`${name} (skipped: ${reason})`, () => {
      it(`runs with ${needs}`, () => undefined);
    });
  }
}
