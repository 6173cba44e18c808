import { randomUUID } from 'node:crypto';
import type { BearerChallengeService } from '../bearer-challenge.service.js';
import type { AccessTokenClaims } from '../interfaces/access-token-claims.interface.js';
import type { AuthenticatedUser } from '../interfaces/authenticated-user.interface.js';
import { JwtStrategy } from '../jwt.strategy.js';
import type { RevocationService } from '../revocation/revocation.service.js';
import type { TokenVerifier } from '../token.verifier.js';
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
 * Stands in for the module's `JwtStrategy` in tests, where the point is the
 * controller and not the token: it reads and verifies no token. Each
 * request it authenticates gets the fixed user on `request.user` (what
 * `@CurrentUser()` reads), or with `'allow-anonymous'` passes with no user.
 * The guard around it stays the real one: `@Public()` routes pass without a
 * user, and scopes are checked: a fixed user whose `scope` claim lacks what
 * `@RequireScopes()` asks for gets the real 403, and an anonymous caller the
 * real 401.
 */
export class TestingJwtStrategy extends JwtStrategy {
  constructor(
    private readonly identity: TestIdentity,
    verifier: TokenVerifier,
    revocation: RevocationService,
    challenge: BearerChallengeService,
  ) {
    TestingJwtStrategy.assertIdentity(identity);
    super(verifier, revocation, challenge);
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

  /** No token is remembered: every request gets the fixed identity. */
  override rememberedUser(): undefined {
    return undefined;
  }

  override remember(): void {}

  override userWithoutCredentials(): AuthenticatedUser | undefined {
    return this.identity === 'allow-anonymous'
      ? undefined
      : testUser(this.identity.userId, this.identity.claims);
  }

  protected override authenticateRequest(): void {
    if (this.identity === 'allow-anonymous') {
      this.pass();
    } else {
      this.success(this.userWithoutCredentials());
    }
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
