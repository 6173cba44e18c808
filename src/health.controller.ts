import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { Public } from './jwt-auth/index.js';

@Controller('health')
export class HealthController {
  /** Liveness: 200 while the process serves requests. */
  @Public()
  @Get()
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['ok'] } },
    },
  })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
