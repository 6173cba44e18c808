import { Controller, Get } from '@nestjs/common';
import { CurrentUser } from './jwt-auth/index.js';

@Controller('me')
export class MeController {
  /** The caller's user id, from a valid bearer token. */
  @Get()
  me(@CurrentUser() userId: number): { userId: number } {
    return { userId };
  }
}
