/**
 * The revocation store could not answer (an error, or no answer within the
 * module's `revocation.timeout`). `JwtAuthGuard` answers 503 with
 * `Retry-After` unless `revocation.failOpen` is set. Never holds token text.
 */
export class RevocationUnavailableError extends Error {
  override readonly name = 'RevocationUnavailableError';
  /** Stable, for applications that switch on it. */
  readonly code = 'revocation_unavailable';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
