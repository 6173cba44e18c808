import { ConfigurableModuleBuilder } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type {
  JwtAuthModuleExtras,
  JwtAuthModuleOptions,
} from './interfaces/jwt-auth-module-options.interface.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: JWT_AUTH_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<JwtAuthModuleOptions>({
  moduleName: 'JwtAuth',
})
  .setClassMethodName('forRoot')
  .setExtras<JwtAuthModuleExtras>(
    { isGlobal: false, globalGuard: false },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      providers: extras.globalGuard
        ? [
            ...(definition.providers ?? []),
            { provide: APP_GUARD, useExisting: JwtAuthGuard },
          ]
        : definition.providers,
    }),
  )
  .build();
