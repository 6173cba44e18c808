import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { BearerChallengeService } from './bearer-challenge.service.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import {
  ConfigurableModuleClass,
  JWT_AUTH_MODULE_OPTIONS,
} from './jwt-auth.module-definition.js';
import { JWT_AUTH_OPTIONS, resolveJwtAuthOptions } from './jwt-auth.options.js';
import { JwtStrategy } from './jwt.strategy.js';
import { RequestAuthenticator } from './request.authenticator.js';
import { createRevocationStore } from './revocation/revocation-store.factory.js';
import {
  REVOCATION_STORE,
  RevocationService,
} from './revocation/revocation.service.js';
import { TokenService } from './token.service.js';
import { TokenVerifier } from './token.verifier.js';

/**
 * JWT authentication: `TokenService` signs and verifies access tokens,
 * `JwtAuthGuard` guards routes. Configure it once with `forRoot()` or
 * `forRootAsync()`; the options are validated at startup.
 *
 * `JwtStrategy` is registered with Passport too, for applications that
 * compose Passport strategies.
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
    RevocationService,
    TokenVerifier,
    TokenService,
    JwtStrategy,
    BearerChallengeService,
    RequestAuthenticator,
    JwtAuthGuard,
  ],
  exports: [
    TokenService,
    BearerChallengeService,
    RequestAuthenticator,
    JwtAuthGuard,
  ],
})
export class JwtAuthModule extends ConfigurableModuleClass {}
