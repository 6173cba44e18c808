import {
  Controller,
  Get,
  Injectable,
  Module,
  Req,
  UseGuards,
} from '@nestjs/common';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { Public } from '../src/jwt-auth/index.js';

/**
 * The canonical Nest setup the benchmark compares against: passport-jwt's
 * strategy with a string secret, behind `AuthGuard('jwt')`, as the Nest
 * documentation shows it. Bench only.
 */
@Injectable()
class CanonicalJwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      secretOrKey: process.env.JWT_SECRET ?? '',
      algorithms: ['HS256'],
    });
  }

  validate(payload: { sub: string }): { userId: number } {
    return { userId: Number(payload.sub) };
  }
}

@Controller('canonical')
class CanonicalController {
  // @Public() lets the demo's global JwtAuthGuard step aside for this route.
  @Public()
  @UseGuards(AuthGuard('jwt'))
  @Get('me')
  me(@Req() request: { user: { userId: number } }): { userId: number } {
    return { userId: request.user.userId };
  }
}

@Module({
  imports: [PassportModule],
  providers: [CanonicalJwtStrategy],
  controllers: [CanonicalController],
})
export class CanonicalModule {}
