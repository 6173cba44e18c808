/**
 * The command line's exit statuses. Stable: scripts may test them.
 *
 * - `ok`: the token was signed, or is valid; the key was generated.
 * - `refused`: `verify` refused the token.
 * - `usage`: bad arguments or configuration.
 * - `failure`: the revocation store or the JWK Set could not answer, or
 *   anything unforeseen.
 */
export const EXIT_STATUS = {
  ok: 0,
  refused: 1,
  usage: 2,
  failure: 3,
} as const;

export type ExitStatus = (typeof EXIT_STATUS)[keyof typeof EXIT_STATUS];
