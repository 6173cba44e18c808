import type { TestingModuleBuilder } from '@nestjs/testing';
import { BearerChallengeService } from '../bearer-challenge.service.js';
import { JwtStrategy } from '../jwt.strategy.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { TokenVerifier } from '../token.verifier.js';
import {
  TestingJwtStrategy,
  type TestIdentity,
} from './testing-jwt.strategy.js';

/**
 * Makes every `JwtAuthGuard` of the testing module let requests through as
 * `identity`, without a token, and returns the builder.
 *
 * It reaches every way the guard can be registered: `@UseGuards(JwtAuthGuard)`,
 * `globalGuard: true`, and an application's own `APP_GUARD` with `useClass`
 * or `useExisting`. Nest's `overrideGuard(JwtAuthGuard)` alone reaches only
 * the first: each registration is a guard instance of its own. They all
 * run the module's one `JwtStrategy`, which this replaces; the guards'
 * own rules (`@Public()`, `@OptionalAuth()`, `@RequireScopes()`) stay.
 *
 * @example
 * const moduleRef = await overrideJwtAuthGuard(
 *   Test.createTestingModule({ imports: [AppModule] }),
 *   { userId: 7 },
 * ).compile();
 * @throws TypeError when `identity.userId` is not a non-negative safe integer.
 */
export function overrideJwtAuthGuard(
  builder: TestingModuleBuilder,
  identity: TestIdentity,
): TestingModuleBuilder {
  // Checked here, where the test names it, rather than at compile().
  TestingJwtStrategy.assertIdentity(identity);
  return builder.overrideProvider(JwtStrategy).useFactory({
    factory: (
      verifier: TokenVerifier,
      revocation: RevocationService,
      challenge: BearerChallengeService,
    ) => new TestingJwtStrategy(identity, verifier, revocation, challenge),
    inject: [TokenVerifier, RevocationService, BearerChallengeService],
  });
}
