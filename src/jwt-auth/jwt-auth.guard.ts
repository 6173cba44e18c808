import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { RequestAuthenticator } from './request.authenticator.js';

/**
 * Guards a route: a request passes with a valid `Authorization: Bearer`
 * token, and the user lands on `request.user` as an `AuthenticatedUser`.
 * Routes marked `@Public()` pass without one; routes marked
 * `@OptionalAuth()` pass anonymously when the request sends no
 * `Authorization` header at all, and are otherwise checked like any other.
 * Every refusal is a 401 with the seed's body and an RFC 6750 challenge; a
 * valid token that lacks a scope `@RequireScopes()` asks for is a 403 with
 * an `insufficient_scope` challenge. When revocation cannot be checked (and
 * the module fails closed), the answer is 503 with `Retry-After`.
 *
 * It applies exactly the rules of `TokenService.verify()` and of
 * `JwtStrategy` (all three call one verifier), without Passport's
 * per-request machinery and its process-wide strategy registry: each
 * module's guard uses that module's own configuration. The verdict comes
 * from the module's `RequestAuthenticator`, whichever way the guard is
 * registered.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly authenticator: RequestAuthenticator) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    return this.authenticator.authenticate(context);
  }
}
