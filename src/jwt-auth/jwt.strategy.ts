import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-strategy';
import { bearerChallenge } from './bearer-challenge.js';
import {
  extractBearerToken,
  type RequestWithHeaders,
} from './bearer-token.extractor.js';
import { InvalidTokenError } from './errors/invalid-token.error.js';
import { RevocationUnavailableError } from './errors/revocation-unavailable.error.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import {
  InjectJwtAuthOptions,
  type ResolvedJwtAuthOptions,
} from './jwt-auth.options.js';
import { TokenService } from './token.service.js';

/** The name `JwtStrategy` is registered under with Passport. */
export const JWT_AUTH_STRATEGY = 'jwt-auth';

/**
 * The module's rules as a Passport strategy, for applications that compose
 * Passport strategies (`AuthGuard([JWT_AUTH_STRATEGY, 'api-key'])`). It
 * calls the same verifier as `JwtAuthGuard` and `TokenService.verify()`.
 *
 * `JwtAuthGuard` is the way to guard a route: Passport's `AuthGuard`
 * answers a refusal with Nest's default 401 body, and keeps one strategy
 * per name for the whole process.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_AUTH_STRATEGY) {
  constructor(
    private readonly tokens: TokenService,
    @InjectJwtAuthOptions() private readonly options: ResolvedJwtAuthOptions,
  ) {
    super();
  }

  /** Called by Passport for each request it authenticates. */
  override authenticate(request: RequestWithHeaders): void {
    const token = extractBearerToken(request);
    if (token === null) {
      this.fail(bearerChallenge(this.options.realm, 'token_missing'), 401);
      return;
    }
    this.validate(token).then(
      (user) => this.success(user),
      (error: unknown) => {
        if (error instanceof InvalidTokenError) {
          this.fail(bearerChallenge(this.options.realm, error.code), 401);
        } else if (error instanceof RevocationUnavailableError) {
          this.error(
            new ServiceUnavailableException(
              'The token revocation status is unavailable',
            ),
          );
        } else {
          this.error(error as Error);
        }
      },
    );
  }

  /** Verifies the bearer token: the user, or an `InvalidTokenError`. */
  validate(token: string): Promise<AuthenticatedUser> {
    return this.tokens.verify(token);
  }
}
