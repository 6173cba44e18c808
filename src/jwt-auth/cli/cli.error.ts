/**
 * A fault of the command line's input, answered with one line on stderr
 * and exit status 2, never a stack trace.
 *
 * - `usage`: the arguments (an unknown option, a missing value, a `--sub`
 *   that is not a user id, ...).
 * - `configuration`: the environment or the env file (a missing or weak
 *   `JWT_SECRET`, an unreadable `--dotenv` file, ...).
 */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    /** What kind of input was at fault. Stable. */
    readonly code: 'usage' | 'configuration',
    message: string,
  ) {
    super(message);
  }
}
