import { ConfigurableModuleBuilder } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type {
  JwtAuthModuleExtras,
  JwtAuthModuleOptions,
} from './interfaces/jwt-auth-module-options.interface.js';
import { JwksController } from './jwks/jwks.controller.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';

/**
 * Provider that holds the module's `globalGuard` extra, so that code outside
 * the request path (the OpenAPI helper) can tell whether every route is
 * guarded without reading Nest's internal guard registry.
 */
export const JWT_AUTH_GLOBAL_GUARD = Symbol('JWT_AUTH_GLOBAL_GUARD');

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
    { isGlobal: false, globalGuard: false, publishJwks: false },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      controllers: [
        ...(definition.controllers ?? []),
        ...(extras.publishJwks === true ? [JwksController] : []),
      ],
      providers: [
        ...(definition.providers ?? []),
        {
          provide: JWT_AUTH_GLOBAL_GUARD,
          useValue: extras.globalGuard === true,
        },
        ...(extras.globalGuard
          ? [{ provide: APP_GUARD, useExisting: JwtAuthGuard }]
          : []),
      ],
    }),
  )
  .build();
