import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { RefusalReason } from './bearer-challenge.js';
import { BearerChallengeService } from './bearer-challenge.service.js';
import { InvalidTokenError } from './errors/invalid-token.error.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import { JWT_STRATEGY } from './jwt.strategy.js';
import { IS_PUBLIC_KEY } from './public.decorator.js';
import { fromJsonWebTokenError } from './token.verifier.js';

/** passport-jwt's failure when the extractor found no token. */
const NO_TOKEN_MESSAGE = 'No auth token';

/**
 * Guards a route with `JwtStrategy`. Routes marked `@Public()` pass. Every
 * refusal is a 401 with the seed's body and an RFC 6750 challenge; the
 * authenticated user lands on `request.user` as an `AuthenticatedUser`.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(JWT_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly challenge: BearerChallengeService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(
      IS_PUBLIC_KEY,
      [context.getHandler(), context.getClass()],
    );
    if (isPublic === true) return true;
    // AuthGuard's canActivate is async: it resolves, or throws the refusal.
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<TUser = AuthenticatedUser>(
    error: unknown,
    user: TUser | false,
    info: unknown,
    context: ExecutionContext,
  ): TUser {
    if (error == null && user) return user;
    throw this.challenge.refuse(
      context.switchToHttp().getResponse(),
      refusalReason(error ?? info),
    );
  }
}

function refusalReason(failure: unknown): RefusalReason {
  if (failure instanceof InvalidTokenError) return failure.code;
  if (failure instanceof Error && failure.message === NO_TOKEN_MESSAGE)
    return 'token_missing';
  return fromJsonWebTokenError(failure).code;
}
