import { Injectable, Logger, type ExecutionContext } from '@nestjs/common';
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
import { RouteAccessReader } from './route-access.js';
import { grantsScopes } from './scope.js';
import { TokenService } from './token.service.js';

/**
 * Decides `JwtAuthGuard`'s verdict, as one provider of the module.
 *
 * Nest makes a separate guard instance for every `@UseGuards(JwtAuthGuard)`
 * host module and for every `APP_GUARD` registration, and its testing
 * overrides reach each kind separately (`overrideGuard()` the first,
 * `overrideProvider()` the module's own provider, nothing an `APP_GUARD`
 * with `useClass`). Every guard instance delegates here instead, so that a
 * test replaces the decision for all of them at once
 * (`overrideJwtAuthGuard()` from `nest-jwt-auth/testing`).
 */
@Injectable()
export class RequestAuthenticator {
  private readonly logger = new Logger('JwtAuth');
  private readonly routes: RouteAccessReader;

  constructor(
    reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly challenge: BearerChallengeService,
  ) {
    this.routes = new RouteAccessReader(reflector);
  }

  /**
   * Lets a `@Public()` route through, an `@OptionalAuth()` route without an
   * `Authorization` header through anonymously, and any other with a valid
   * bearer token that grants the scopes the route requires, putting the
   * user on `request.user`.
   *
   * @throws UnauthorizedException with the RFC 6750 challenge set.
   * @throws ForbiddenException with the `insufficient_scope` challenge set.
   * @throws ServiceUnavailableException when revocation cannot be checked.
   */
  async authenticate(context: ExecutionContext): Promise<boolean> {
    const access = this.routes.read(context.getHandler(), context.getClass());
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
    if (
      access.mode === 'required' &&
      !grantsScopes(request.user.claims.scope, access.scopes)
    ) {
      throw this.challenge.forbid(http.getResponse(), access.scopes);
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
