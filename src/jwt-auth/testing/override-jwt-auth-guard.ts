import type { TestingModuleBuilder } from '@nestjs/testing';
import { BearerChallengeService } from '../bearer-challenge.service.js';
import { RequestAuthenticator } from '../request.authenticator.js';
import {
  TestingRequestAuthenticator,
  type TestIdentity,
} from './testing-request.authenticator.js';

/**
 * Makes every `JwtAuthGuard` of the testing module let requests through as
 * `identity`, without a token, and returns the builder.
 *
 * It reaches every way the guard can be registered: `@UseGuards(JwtAuthGuard)`,
 * `globalGuard: true`, and an application's own `APP_GUARD` with `useClass`
 * or `useExisting`. Nest's `overrideGuard(JwtAuthGuard)` alone reaches only
 * the first: each registration is a guard instance of its own. They all
 * delegate to the module's one `RequestAuthenticator`, which this replaces.
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
  TestingRequestAuthenticator.assertIdentity(identity);
  return builder.overrideProvider(RequestAuthenticator).useFactory({
    factory: (challenge: BearerChallengeService) =>
      new TestingRequestAuthenticator(identity, challenge),
    inject: [BearerChallengeService],
  });
}
