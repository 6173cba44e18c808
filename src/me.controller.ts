import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { CurrentUser } from './jwt-auth/index.js';

@Controller('me')
export class MeController {
  /** The caller's user id, from a valid bearer token. */
  @Get()
  @ApiOkResponse({
    description: 'The user the token was issued to.',
    schema: {
      type: 'object',
      required: ['userId'],
      properties: { userId: { type: 'integer', example: 1 } },
    },
  })
  me(@CurrentUser() userId: number): { userId: number } {
    return { userId };
  }
}
