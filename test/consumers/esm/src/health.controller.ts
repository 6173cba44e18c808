import { Controller, Get } from '@nestjs/common';
import { Public } from 'nest-jwt-auth';

@Public()
@Controller('health')
export class HealthController {
  @Get()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
