import { Injectable, Logger, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { RefusalReason } from './bearer-challenge.js';
import { BearerChallengeService } from './bearer-challenge.service.js';
import {
  extractBearerToken,
  type RequestWithHeaders,
} from './bearer-token.extractor.js';
import { InvalidTokenError } from './errors/invalid-token.error.js';
import { RevocationUnavailableError } from './errors/revocation-unavailable.error.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import { IS_PUBLIC_KEY } from './public.decorator.js';
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

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly challenge: BearerChallengeService,
  ) {}

  /**
   * Lets a `@Public()` route through, and any other with a valid bearer
   * token, putting the user on `request.user`.
   *
   * @throws UnauthorizedException with the RFC 6750 challenge set.
   * @throws ServiceUnavailableException when revocation cannot be checked.
   */
  async authenticate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(
      IS_PUBLIC_KEY,
      [context.getHandler(), context.getClass()],
    );
    if (isPublic === true) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<
      RequestWithHeaders & { user?: AuthenticatedUser }
    >();
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
