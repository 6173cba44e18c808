import {
  Body,
  Controller,
  HttpCode,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { TokenService, type TokenResponse } from 'nest-jwt-auth';

const USERS: ReadonlyMap<string, { id: number; password: string }> = new Map([
  ['ada', { id: 1, password: 'ada-password' }],
]);

@Controller('auth')
export class AuthController {
  constructor(private readonly tokens: TokenService) {}

  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: { username?: unknown; password?: unknown },
  ): Promise<TokenResponse> {
    const user =
      typeof body.username === 'string' ? USERS.get(body.username) : undefined;
    if (user === undefined || user.password !== body.password) {
      throw new UnauthorizedException();
    }
    return this.tokens.createTokenResponse(user.id);
  }
}
