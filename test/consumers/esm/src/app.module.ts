import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { JwtAuthModule } from 'nest-jwt-auth';
import { AuthController } from './auth.controller.js';
import { HealthController } from './health.controller.js';
import { MeController } from './me.controller.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    JwtAuthModule.forRootAsync({
      globalGuard: true,
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        secret: config.getOrThrow<string>('JWT_SECRET'),
      }),
    }),
  ],
  controllers: [AuthController, HealthController, MeController],
})
export class AppModule {}
