import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { extractBearerToken } from './bearer-token.extractor.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import { TokenVerifier } from './token.verifier.js';

/** The Passport strategy name `JwtAuthGuard` authenticates with. */
export const JWT_STRATEGY = 'jwt';

/**
 * passport-jwt, held to the module's rules: the token only from
 * `Authorization: Bearer`, the header checked before any crypto, the
 * algorithm pinned, and `validate()` turning `sub` into a user id.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(private readonly verifier: TokenVerifier) {
    const { algorithms, issuer, audience } = verifier.verifyOptions;
    super({
      jwtFromRequest: extractBearerToken,
      secretOrKeyProvider: (_request, token: string, done) => {
        try {
          verifier.inspect(token);
          // jsonwebtoken 9 takes a KeyObject, which spares it parsing the
          // secret on every call; passport-jwt's typings predate that.
          done(null, verifier.key as unknown as Buffer);
        } catch (error) {
          done(error);
        }
      },
      jsonWebTokenOptions: verifier.verifyOptions,
      // passport-jwt copies these over `jsonWebTokenOptions`, even when undefined.
      algorithms,
      issuer,
      audience,
      ignoreExpiration: false,
    });
  }

  /** Called by passport-jwt with the payload whose signature and times it verified. */
  validate(payload: unknown): AuthenticatedUser {
    return this.verifier.toUser(payload);
  }
}
