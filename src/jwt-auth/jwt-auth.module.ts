import {
  Module,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { BearerChallengeService } from './bearer-challenge.service.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import {
  ConfigurableModuleClass,
  JWT_AUTH_MODULE_OPTIONS,
} from './jwt-auth.module-definition.js';
import {
  JWT_AUTH_OPTIONS,
  jwtModuleOptions,
  resolveJwtAuthOptions,
  type ResolvedJwtAuthOptions,
} from './jwt-auth.options.js';
import { JwtStrategy } from './jwt.strategy.js';
import { ResponseLinkMiddleware } from './response-link.middleware.js';
import { createRevocationStore } from './revocation/revocation-store.factory.js';
import {
  REVOCATION_STORE,
  RevocationService,
} from './revocation/revocation.service.js';
import { TokenService } from './token.service.js';
import { TokenVerifier } from './token.verifier.js';

/**
 * JWT authentication: `TokenService` signs and verifies access tokens on
 * @nestjs/jwt's `JwtService`, `JwtAuthGuard` (Passport's `AuthGuard` over
 * `JwtStrategy`, a passport-jwt strategy) guards routes. Configure it once
 * with `forRoot()` or `forRootAsync()`; the options are validated at
 * startup, and `JwtService` is configured from them: the key, the pinned
 * algorithm, `iss` and `aud`.
 */
@Module({
  imports: [PassportModule],
  providers: [
    {
      provide: JWT_AUTH_OPTIONS,
      useFactory: resolveJwtAuthOptions,
      inject: [JWT_AUTH_MODULE_OPTIONS],
    },
    {
      provide: REVOCATION_STORE,
      useFactory: createRevocationStore,
      inject: [JWT_AUTH_OPTIONS],
    },
    {
      provide: JwtService,
      useFactory: (options: ResolvedJwtAuthOptions) =>
        new JwtService(jwtModuleOptions(options)),
      inject: [JWT_AUTH_OPTIONS],
    },
    RevocationService,
    TokenVerifier,
    TokenService,
    JwtStrategy,
    BearerChallengeService,
    JwtAuthGuard,
  ],
  exports: [TokenService, BearerChallengeService, JwtStrategy, JwtAuthGuard],
})
export class JwtAuthModule
  extends ConfigurableModuleClass
  implements NestModule
{
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ResponseLinkMiddleware).forRoutes('{*splat}');
  }
}
