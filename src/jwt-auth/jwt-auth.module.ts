import { Module, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { BearerChallengeService } from './bearer-challenge.service.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import {
  ConfigurableModuleClass,
  JWT_AUTH_MODULE_OPTIONS,
} from './jwt-auth.module-definition.js';
import { JWT_AUTH_OPTIONS, resolveJwtAuthOptions } from './jwt-auth.options.js';
import { JwtStrategy } from './jwt.strategy.js';
import { linkResponse } from './response-link.js';
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
 * startup: the keys (`secret`, `keys` or an identity provider's `jwks`),
 * each with its one algorithm, and `iss` and `aud`. Each call to
 * `JwtService` names its key.
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
      // No key of its own: each call names its key.
      useFactory: () => new JwtService(),
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
  implements OnModuleInit
{
  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {
    super();
  }

  /**
   * Links each request to its response on Fastify, for the refusals of a
   * plain `AuthGuard(JWT_AUTH_STRATEGY)`, with a request hook: cheaper for
   * every request than Nest middleware, which Fastify runs through
   * @fastify/middie. (Express links them itself, and `JwtAuthGuard` links
   * its own requests on any platform.)
   */
  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    adapter
      .getInstance<FastifyHooks>()
      .addHook('onRequest', (request, reply, done) => {
        linkResponse(request, reply);
        done();
      });
  }
}

/** The part of a Fastify instance the module uses. */
interface FastifyHooks {
  addHook(
    name: 'onRequest',
    hook: (request: object, reply: unknown, done: () => void) => void,
  ): unknown;
}
