import { Controller, Get } from '@nestjs/common';
import { Public } from './jwt-auth/index.js';

@Controller('health')
export class HealthController {
  /** Liveness: 200 while the process serves requests. */
  @Public()
  @Get()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
