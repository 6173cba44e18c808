import { SetMetadata } from '@nestjs/common';

/** Metadata key set by `@OptionalAuth()`. */
export const IS_OPTIONAL_AUTH_KEY = 'jwt-auth:optional';

/**
 * Marks a route or controller as open to anonymous callers, but not to bad
 * credentials: `JwtAuthGuard` lets a request without an `Authorization`
 * header through anonymously, puts the user on the request for a valid
 * token, and refuses everything else with its usual 401 (a refused,
 * revoked or malformed token is never downgraded to anonymous). Read the
 * user with `@OptionalUser()`.
 */
export const OptionalAuth = (): MethodDecorator & ClassDecorator =>
  SetMetadata(IS_OPTIONAL_AUTH_KEY, true);
