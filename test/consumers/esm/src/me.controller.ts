import { Controller, Get } from '@nestjs/common';
import { CurrentUser } from 'nest-jwt-auth';

@Controller('me')
export class MeController {
  @Get()
  me(@CurrentUser() userId: number): { userId: number } {
    return { userId };
  }
}
