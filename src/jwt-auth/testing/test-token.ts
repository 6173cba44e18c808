import type { INestApplicationContext } from '@nestjs/common';
import { TokenService } from '../token.service.js';

/** Options of `signTestToken()` and `testAuthorizationHeader()`. */
export interface TestTokenOptions {
  /**
   * Application claims to carry; `sub` is always `userId`. The claims
   * `TokenService` sets itself (`iat`, `exp`, `nbf`, `jti`, `iss`, `aud`)
   * are refused, as `TokenService.sign()` refuses them.
   */
  readonly claims?: Readonly<Record<string, unknown>>;
  /**
   * Lifetime of the token, in seconds, up to the module's `expiresIn`.
   *
   * @default the module's `expiresIn`
   */
  readonly expiresIn?: number;
}

/**
 * Signs a real access token for `userId` with the application's own
 * `TokenService`, so its secret, algorithm, issuer, audience and lifetime
 * are exactly the application's: the real `JwtAuthGuard` accepts it, and
 * rejects it like any other once it expires or is revoked.
 *
 * @param app the application or testing module that imports `JwtAuthModule`.
 * @param userId the token's `sub`: a non-negative safe integer.
 * @throws TypeError when `userId`, a claim or `expiresIn` is refused by
 *   `TokenService.sign()`.
 */
export async function signTestToken(
  app: INestApplicationContext,
  userId: number,
  options: TestTokenOptions = {},
): Promise<string> {
  return app
    .get(TokenService)
    .sign({ ...options.claims, sub: userId }, { expiresIn: options.expiresIn });
}

/**
 * The `Authorization` header value for a token `signTestToken()` signs:
 * `Bearer <token>` (RFC 6750 2.1).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export async function testAuthorizationHeader(
  app: INestApplicationContext,
  userId: number,
  options: TestTokenOptions = {},
): Promise<string> {
  return `Bearer ${await signTestToken(app, userId, options)}`;
}
