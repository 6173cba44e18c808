import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import type { AccessTokenClaims } from '../interfaces/access-token-claims.interface.js';
import type { AuthenticatedUser } from '../interfaces/authenticated-user.interface.js';
import type { BearerChallengeService } from '../bearer-challenge.service.js';
import { ANONYMOUS, type GuardedRequest } from '../optional-user.decorator.js';
import type { RequestAuthenticator } from '../request.authenticator.js';
import { RouteAccessReader } from '../route-access.js';
import { grantsScopes } from '../scope.js';
import { parseUserId } from '../user-id.js';

/**
 * Who `overrideJwtAuthGuard()` lets through: a fixed user on every guarded
 * request, or (`'allow-anonymous'`) every request, with no user at all (an
 * anonymous caller, to `@OptionalUser()`).
 */
export type TestIdentity =
  | {
      /** The user every guarded request is authenticated as: a non-negative safe integer. */
      readonly userId: number;
      /**
       * Claims to put on `request.user.claims` besides the ones made up for
       * the user (`sub`, `iat`, `exp`, `jti`), which take precedence. Its
       * `scope` is what `@RequireScopes()` routes check.
       */
      readonly claims?: Readonly<Record<string, unknown>>;
    }
  | 'allow-anonymous';

/** Lifetime of the made-up claims, in seconds: longer than any test. */
const TEST_CLAIMS_LIFETIME = 3600;

/**
 * Stands in for the module's `RequestAuthenticator` in tests, where the
 * point is the controller and not the token: it reads and verifies no
 * token. On a guarded route it puts the fixed user on `request.user` (what
 * `@CurrentUser()` reads), or with `'allow-anonymous'` lets the request
 * through with no user. Routes marked `@Public()` pass without a user, as
 * with the real guard; scopes stay checked: a fixed user whose `scope`
 * claim lacks what `@RequireScopes()` asks for gets the real 403, and an
 * anonymous caller the real 401.
 */
export class TestingRequestAuthenticator implements Pick<
  RequestAuthenticator,
  'authenticate'
> {
  private readonly routes = new RouteAccessReader(new Reflector());

  constructor(
    private readonly identity: TestIdentity,
    private readonly challenge: BearerChallengeService,
  ) {
    TestingRequestAuthenticator.assertIdentity(identity);
  }

  /** @throws TypeError when `identity.userId` is not a non-negative safe integer. */
  static assertIdentity(identity: TestIdentity): void {
    if (
      identity !== 'allow-anonymous' &&
      (typeof identity.userId !== 'number' ||
        parseUserId(identity.userId) === undefined)
    ) {
      throw new TypeError(
        'overrideJwtAuthGuard(): userId must be a non-negative safe integer',
      );
    }
  }

  async authenticate(context: ExecutionContext): Promise<boolean> {
    const access = this.routes.read(context.getHandler(), context.getClass());
    if (access.mode === 'public') return true;

    const http = context.switchToHttp();
    const request = http.getRequest<GuardedRequest>();
    if (this.identity === 'allow-anonymous') {
      // A route that requires scopes never lets an anonymous caller in.
      if (access.mode === 'required' && access.scopes.length > 0) {
        throw this.challenge.refuse(http.getResponse(), 'token_missing');
      }
      request[ANONYMOUS] = true;
      return true;
    }
    request.user = testUser(this.identity.userId, this.identity.claims);
    if (
      access.mode === 'required' &&
      !grantsScopes(request.user.claims.scope, access.scopes)
    ) {
      throw this.challenge.forbid(http.getResponse(), access.scopes);
    }
    return true;
  }
}

/** The `AuthenticatedUser` a verified token for `userId` would give, made up. */
function testUser(
  userId: number,
  extraClaims: Readonly<Record<string, unknown>> = {},
): AuthenticatedUser {
  const now = Math.floor(Date.now() / 1000);
  const jti = randomUUID();
  const claims: AccessTokenClaims = {
    ...extraClaims,
    sub: String(userId),
    iat: now,
    exp: now + TEST_CLAIMS_LIFETIME,
    jti,
  };
  return { userId, claims, tokenId: `jti:${jti}` };
}
