/**
 * Thrown at startup when `JwtAuthModule` options are invalid. Names the
 * offending option; never holds a secret.
 */
export class JwtAuthOptionsError extends Error {
  override readonly name = 'JwtAuthOptionsError';

  constructor(
    /** The option at fault, for example `secret`. */
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}
