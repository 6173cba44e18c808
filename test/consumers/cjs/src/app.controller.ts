import { Controller, Get, UseGuards } from '@nestjs/common';
import { CurrentUser, JwtAuthGuard, Public } from 'nest-jwt-auth';

@UseGuards(JwtAuthGuard)
@Controller()
export class AppController {
  @Get('me')
  me(@CurrentUser() userId: number): { userId: number } {
    return { userId };
  }

  @Public()
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
