/**
 * The external provider's keys (`jwks`) could not be fetched, and the
 * token cannot be checked without them: `JwtAuthGuard` answers 503 with
 * `Retry-After`, as when revocation cannot be checked. Never holds token
 * text.
 */
export class KeySetUnavailableError extends Error {
  override readonly name = 'KeySetUnavailableError';
  /** Stable, for applications that switch on it. */
  readonly code = 'key_set_unavailable';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
