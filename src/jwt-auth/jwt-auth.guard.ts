import {
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { RefusalReason } from './bearer-challenge.js';
import { BearerChallengeService } from './bearer-challenge.service.js';
import {
  extractBearerToken,
  sendsAuthorization,
  type RequestWithHeaders,
} from './bearer-token.extractor.js';
import { InvalidTokenError } from './errors/invalid-token.error.js';
import { RevocationUnavailableError } from './errors/revocation-unavailable.error.js';
import { ANONYMOUS, type GuardedRequest } from './optional-user.decorator.js';
import { routeAccess } from './route-access.js';
import { grantedScopes } from './scope.js';
import { TokenService } from './token.service.js';

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
 * module's guard uses that module's own configuration.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly logger = new Logger('JwtAuth');

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly challenge: BearerChallengeService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = routeAccess(
      this.reflector,
      context.getHandler(),
      context.getClass(),
    );
    if (access.mode === 'public') return true;

    const http = context.switchToHttp();
    const request = http.getRequest<RequestWithHeaders & GuardedRequest>();
    if (access.mode === 'optional' && !sendsAuthorization(request)) {
      request[ANONYMOUS] = true;
      return true;
    }
    const token = extractBearerToken(request);
    if (token === null) {
      throw this.challenge.refuse(http.getResponse(), 'token_missing');
    }
    try {
      request.user = await this.tokens.verify(token);
    } catch (error) {
      if (error instanceof RevocationUnavailableError) {
        throw this.challenge.unavailable(http.getResponse());
      }
      throw this.challenge.refuse(http.getResponse(), this.reasonFor(error));
    }
    if (access.mode === 'required' && access.scopes.length > 0) {
      const granted = grantedScopes(request.user.claims.scope);
      if (!access.scopes.every((scope) => granted.has(scope))) {
        throw this.challenge.forbid(http.getResponse(), access.scopes);
      }
    }
    return true;
  }

  private reasonFor(error: unknown): RefusalReason {
    if (error instanceof InvalidTokenError) return error.code;
    // A fault of ours, not of the token: refuse (fail closed), and say so.
    this.logger.error(
      `Token verification failed unexpectedly: ${error instanceof Error ? error.name : typeof error}`,
    );
    return 'token_malformed';
  }
}
