import { Controller, Get, UseGuards } from '@nestjs/common';
import { CurrentUser, JwtAuthGuard } from '../../src/jwt-auth/index.js';

/** `GET /profile` behind `JwtAuthGuard`, answering the token's user id. */
@Controller()
export class ProfileController {
  @UseGuards(JwtAuthGuard)
  @Get('profile')
  profile(@CurrentUser() userId: number): { userId: number } {
    return { userId };
  }
}
