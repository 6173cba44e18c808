import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { AuthController } from './auth/auth.controller.js';
import { demoJwtSecret, demoRevocation } from './demo.config.js';
import { HealthController } from './health.controller.js';
import { JwtAuthModule } from './jwt-auth/index.js';
import { MeController } from './me.controller.js';
import { UsersService } from './users/users.service.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    JwtAuthModule.forRootAsync({
      isGlobal: true,
      // Every route needs a token unless it is marked @Public().
      globalGuard: true,
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        secret: demoJwtSecret(config),
        realm: 'nest-jwt-auth-demo',
        revocation: demoRevocation(config),
      }),
    }),
  ],
  controllers: [AuthController, MeController, HealthController],
  providers: [UsersService],
})
export class AppModule {}
