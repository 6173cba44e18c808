import {
  Controller,
  Get,
  HttpCode,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import {
  CurrentUser,
  JWT_AUTH_STRATEGY,
  Public,
  TokenService,
  type AuthenticatedUser,
} from '../../src/jwt-auth/index.js';

/**
 * What the revocation suites drive: `GET /me` behind the module's guard,
 * `POST /logout` that revokes the token it came with, and `GET /passport`
 * behind a plain Passport `AuthGuard` of the module's strategy.
 */
@Controller()
export class AccountController {
  constructor(private readonly tokens: TokenService) {}

  @Get('me')
  me(@CurrentUser() userId: number): { userId: number } {
    return { userId };
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@Req() request: { user: AuthenticatedUser }): Promise<void> {
    await this.tokens.revoke(request.user);
  }

  @Public()
  @UseGuards(AuthGuard(JWT_AUTH_STRATEGY))
  @Get('passport')
  passport(@Req() request: { user: AuthenticatedUser }): { userId: number } {
    return { userId: request.user.userId };
  }
}
