import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { BearerChallengeService } from './bearer-challenge.service.js';
import {
  extractBearerToken,
  sendsAuthorization,
  type RequestWithHeaders,
} from './bearer-token.extractor.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import { JWT_AUTH_STRATEGY, JwtStrategy } from './jwt.strategy.js';
import { ANONYMOUS, type GuardedRequest } from './optional-user.decorator.js';
import { RouteAccessReader, type RouteAccess } from './route-access.js';
import { grantsScopes } from './scope.js';

type Request = RequestWithHeaders & GuardedRequest;

/**
 * Passport's `AuthGuard(JWT_AUTH_STRATEGY)` with the module's routes and
 * answers: a request passes with a valid `Authorization: Bearer` token, and
 * the user lands on `request.user` as an `AuthenticatedUser`. Routes marked
 * `@Public()` pass without one; routes marked `@OptionalAuth()` pass
 * anonymously when the request sends no `Authorization` header at all, and
 * are otherwise checked like any other. Every refusal is a 401 with the
 * seed's body and an RFC 6750 challenge; a valid token that lacks a scope
 * `@RequireScopes()` asks for is a 403 with an `insufficient_scope`
 * challenge. When revocation cannot be checked (and the module fails
 * closed), the answer is 503 with `Retry-After`.
 *
 * It runs its own module's `JwtStrategy`, and asks it first for a token it
 * verified before, which then skips Passport and jsonwebtoken (revocation
 * is still checked). Subclasses may override `getRouteAccess()`,
 * `handleRequest()` and `throwInsufficientScope()`.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(JWT_AUTH_STRATEGY) {
  private readonly routes: RouteAccessReader;

  constructor(
    reflector: Reflector,
    protected readonly strategy: JwtStrategy,
    protected readonly challenge: BearerChallengeService,
  ) {
    super();
    this.routes = new RouteAccessReader(reflector);
  }

  /**
   * Answers at once for a token it verified before when the revocation
   * store is in this process's memory (the request then waits for no
   * promise), and in a promise otherwise.
   *
   * @throws UnauthorizedException with the RFC 6750 challenge set.
   * @throws ForbiddenException with the `insufficient_scope` challenge set.
   * @throws ServiceUnavailableException when revocation cannot be checked.
   */
  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const access = this.getRouteAccess(context);
    if (access.mode === 'public') return true;
    // Passport's request: AuthGuard's getRequest(), which a subclass may override.
    const request = this.getRequest(context) as Request;
    if (access.mode === 'optional' && !sendsAuthorization(request)) {
      return this.admit(
        context,
        request,
        access,
        this.strategy.userWithoutCredentials(),
      );
    }
    const token = extractBearerToken(request);
    let remembered: AuthenticatedUser | undefined;
    let checked: boolean;
    try {
      remembered =
        token === null ? undefined : this.strategy.rememberedUser(token);
      checked =
        remembered !== undefined &&
        this.strategy.assertedNotRevokedNow(remembered);
    } catch (error) {
      throw this.challenge.answer(this.responseOf(context), error);
    }
    return checked
      ? this.admit(context, request, access, remembered)
      : this.authenticate(context, request, access, token, remembered);
  }

  /** Passport's verdict: the user, or the strategy's refusal thrown. */
  override handleRequest<TUser = AuthenticatedUser>(
    error: unknown,
    user: TUser | false,
    _info: unknown,
    context: ExecutionContext,
  ): TUser {
    if (error !== null && error !== undefined) {
      throw this.challenge.answer(this.responseOf(context), error);
    }
    if (user === false || user === null || user === undefined) {
      throw this.challenge.refuse(this.responseOf(context), 'token_missing');
    }
    return user;
  }

  /** Who may call the route: `@Public()`, `@OptionalAuth()` and `@RequireScopes()`. */
  protected getRouteAccess(context: ExecutionContext): RouteAccess {
    return this.routes.read(context.getHandler(), context.getClass());
  }

  /** Throws the 403 for a valid token that lacks a required scope. */
  protected throwInsufficientScope(
    context: ExecutionContext,
    scopes: readonly string[],
  ): never {
    throw this.challenge.forbid(this.responseOf(context), scopes);
  }

  /**
   * Asks the revocation store about a remembered token, or has Passport
   * authenticate the request, then admits it.
   */
  private async authenticate(
    context: ExecutionContext,
    request: Request,
    access: RouteAccess,
    token: string | null,
    remembered: AuthenticatedUser | undefined,
  ): Promise<boolean> {
    if (remembered !== undefined) {
      try {
        await this.strategy.assertNotRevoked(remembered);
      } catch (error) {
        throw this.challenge.answer(this.responseOf(context), error);
      }
      return this.admit(context, request, access, remembered);
    }
    this.strategy.claim(request, this.responseOf(context), token);
    await super.canActivate(context);
    const user = request.user;
    if (token !== null && user !== undefined) {
      this.strategy.remember(token, user);
    }
    return this.admit(context, request, access, user);
  }

  /**
   * Lets the request through as `user`, or as an anonymous caller when
   * there is none, unless the route requires what the caller lacks.
   */
  private admit(
    context: ExecutionContext,
    request: Request,
    access: RouteAccess,
    user: AuthenticatedUser | undefined,
  ): true {
    if (user === undefined) {
      // An anonymous caller of an @OptionalAuth() route, or of any route
      // under the testing strategy's 'allow-anonymous' (Passport's own
      // strategy never passes without a user): a route that requires
      // scopes refuses it.
      if (access.mode === 'required' && access.scopes.length > 0) {
        throw this.challenge.refuse(this.responseOf(context), 'token_missing');
      }
      request[ANONYMOUS] = true;
      return true;
    }
    request.user = user;
    if (
      access.mode === 'required' &&
      !grantsScopes(user.claims.scope, access.scopes)
    ) {
      this.throwInsufficientScope(context, access.scopes);
    }
    return true;
  }

  private responseOf(context: ExecutionContext): unknown {
    return context.getArgByIndex(1);
  }
}
