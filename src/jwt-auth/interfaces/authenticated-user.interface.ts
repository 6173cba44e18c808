import type { AccessTokenClaims } from './access-token-claims.interface.js';

/**
 * What `JwtAuthGuard` puts on `request.user` and `TokenService.verify()`
 * returns. An object, never a bare id: user id 0 is a real user.
 */
export interface AuthenticatedUser {
  /** The token's `sub` as a number: a non-negative safe integer. */
  readonly userId: number;
  /** The verified claims. */
  readonly claims: AccessTokenClaims;
  /**
   * What revocation knows the token by: `jti:` and its `jti` claim, or, for
   * a token without one, `sha256:` and the digest of its claims (two tokens
   * with the same claims under one key are the same credential).
   */
  readonly tokenId: string;
}
