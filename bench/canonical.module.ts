import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Req,
  UseGuards,
  type DynamicModule,
} from '@nestjs/common';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';

/**
 * The Passport names of the two canonical strategies. Not `'jwt'`, as the
 * Nest documentation names it: Passport keeps one strategy per name for the
 * whole process, and a library strategy registered as `'jwt'` would
 * silently take the place of the one measured here.
 */
export const CANONICAL_STRATEGIES = {
  stringSecret: 'canonical-jwt-string-secret',
  keyObject: 'canonical-jwt-key-object',
} as const;

const CANONICAL_SECRET = Symbol('CANONICAL_SECRET');

interface CanonicalUser {
  readonly userId: number;
}

/**
 * passport-jwt with a string secret, as the Nest documentation and most
 * tutorials configure it: jsonwebtoken then tries the secret as a PEM key
 * on every call before it takes it as an HMAC secret.
 */
@Injectable()
class StringSecretStrategy extends PassportStrategy(
  Strategy,
  CANONICAL_STRATEGIES.stringSecret,
) {
  constructor(@Inject(CANONICAL_SECRET) secret: string) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      secretOrKey: secret,
      algorithms: ['HS256'],
    });
  }

  validate(payload: { sub: string }): CanonicalUser {
    return { userId: Number(payload.sub) };
  }
}

/**
 * passport-jwt with the same secret as a `KeyObject`, made once: the
 * fastest way to configure it, and so the honest peer.
 */
@Injectable()
class KeyObjectStrategy extends PassportStrategy(
  Strategy,
  CANONICAL_STRATEGIES.keyObject,
) {
  constructor(@Inject(CANONICAL_SECRET) secret: string) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      // passport-jwt hands secretOrKey unchanged to jsonwebtoken.verify(),
      // which takes a KeyObject; only passport-jwt's types say string | Buffer.
      secretOrKey: createSecretKey(Buffer.from(secret)) as unknown as Buffer,
      algorithms: ['HS256'],
    });
  }

  validate(payload: { sub: string }): CanonicalUser {
    return { userId: Number(payload.sub) };
  }
}

@Controller('canonical')
class CanonicalController {
  @UseGuards(AuthGuard(CANONICAL_STRATEGIES.stringSecret))
  @Get('string-secret/me')
  withStringSecret(@Req() request: { user: CanonicalUser }): CanonicalUser {
    return { userId: request.user.userId };
  }

  @UseGuards(AuthGuard(CANONICAL_STRATEGIES.keyObject))
  @Get('key-object/me')
  withKeyObject(@Req() request: { user: CanonicalUser }): CanonicalUser {
    return { userId: request.user.userId };
  }
}

/**
 * The canonical Nest JWT guard the benchmark compares against:
 * `AuthGuard()` of @nestjs/passport over a passport-jwt `Strategy`, in two
 * variants, at `/canonical/string-secret/me` and `/canonical/key-object/me`.
 * Bench only.
 */
@Module({})
export class CanonicalModule {
  static register(secret: string): DynamicModule {
    return {
      module: CanonicalModule,
      imports: [PassportModule],
      providers: [
        { provide: CANONICAL_SECRET, useValue: secret },
        StringSecretStrategy,
        KeyObjectStrategy,
      ],
      controllers: [CanonicalController],
    };
  }
}
