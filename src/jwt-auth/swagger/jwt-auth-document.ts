import type { INestApplication, Type } from '@nestjs/common';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import {
  ApiBearerAuth,
  ApiResponse,
  DECORATORS,
  SwaggerModule,
  type ApiResponseOptions,
  type OpenAPIObject,
  type SwaggerDocumentOptions,
} from '@nestjs/swagger';
import { REFUSAL_MESSAGE } from '../bearer-challenge.service.js';
import { JWT_AUTH_GLOBAL_GUARD } from '../jwt-auth.module-definition.js';
import {
  requiresBearerToken,
  type RouteHandler,
} from './bearer-requirement.js';

/** Options of `createJwtAuthDocument`: Swagger's own, plus the scheme's name. */
export interface JwtAuthDocumentOptions extends SwaggerDocumentOptions {
  /**
   * Name of the security scheme in `components.securitySchemes`, as
   * `@ApiBearerAuth()` and `DocumentBuilder.addBearerAuth()` name it.
   *
   * @default 'bearer'
   */
  securitySchemeName?: string;
}

/** The metadata keys lent to guarded handlers while the document is built. */
const LENT_KEYS = [DECORATORS.API_SECURITY, DECORATORS.API_RESPONSE] as const;

/**
 * `SwaggerModule.createDocument` for an application guarded by
 * `JwtAuthModule`: registers the bearer scheme (`http`, `bearer`, format
 * `JWT`, RFC 6750) and gives exactly the operations that `JwtAuthGuard`
 * guards its security requirement and their documented 401, so that
 * controllers need no `@ApiBearerAuth()`. `@Public()` operations get
 * neither.
 *
 * Which operations are guarded is decided from the metadata the guard acts
 * on: the module's `globalGuard` extra, `@UseGuards(JwtAuthGuard)` on the
 * method or the controller, and `@Public()`. A guard installed by other
 * means (`app.useGlobalGuards`, an `APP_GUARD` of the application's own)
 * is not seen; mark those routes with `@ApiBearerAuth()`.
 *
 * How: Swagger maps a handler to its operations (paths, prefixes,
 * versions, methods) from metadata on the handler. Rather than re-derive
 * that mapping and match paths afterwards, this applies Swagger's own
 * `@ApiBearerAuth()` and `@ApiResponse()` to the guarded handlers, builds
 * the document, and restores the handlers' previous metadata. Building is
 * synchronous, so nothing else observes the lent metadata, and a second
 * application in the same process (another guard mode) starts clean.
 * Requirements and 401 responses a controller declares itself are kept.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3 (the 401 challenge)
 */
export function createJwtAuthDocument(
  app: INestApplication,
  config: Omit<OpenAPIObject, 'paths'>,
  options: JwtAuthDocumentOptions = {},
): OpenAPIObject {
  const { securitySchemeName = 'bearer', ...swaggerOptions } = options;
  const guarded = guardedHandlers(app);
  const restore = lendMetadata(guarded, securitySchemeName);
  try {
    return SwaggerModule.createDocument(
      app,
      withBearerScheme(config, securitySchemeName),
      swaggerOptions,
    );
  } finally {
    restore();
  }
}

/** Every controller method of `app` that `JwtAuthGuard` guards on some route. */
function guardedHandlers(app: INestApplication): Set<RouteHandler> {
  const modules = [...app.get(ModulesContainer).values()];
  // Without JwtAuthModule there is no such provider, and nothing is guarded.
  const globalGuard = modules.some(
    (module) => module.providers.get(JWT_AUTH_GLOBAL_GUARD)?.instance === true,
  );
  const scanner = new MetadataScanner();
  const guarded = new Set<RouteHandler>();
  for (const module of modules) {
    for (const { metatype } of module.controllers.values()) {
      const controller = metatype as Type;
      const prototype = controller.prototype as Record<string, RouteHandler>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        // A method inherited by several controllers carries one set of
        // metadata: it is marked if any of them guards it.
        if (requiresBearerToken(controller, handler, globalGuard)) {
          guarded.add(handler);
        }
      }
    }
  }
  return guarded;
}

/**
 * Applies the bearer requirement and the 401 response to each handler and
 * returns the function that puts the handlers' own metadata back.
 */
function lendMetadata(
  handlers: Set<RouteHandler>,
  schemeName: string,
): () => void {
  const saved = [...handlers].flatMap((handler) =>
    LENT_KEYS.map((key) => ({
      handler,
      key,
      own: Reflect.hasOwnMetadata(key, handler),
      value: Reflect.getOwnMetadata(key, handler) as unknown,
    })),
  );
  for (const handler of handlers) {
    // Swagger's method decorators write to the descriptor's value alone.
    const descriptor = { value: handler };
    if (!declaresScheme(handler, schemeName)) {
      ApiBearerAuth(schemeName)(handler, 'handler', descriptor);
    }
    if (!declaresUnauthorized(handler)) {
      ApiResponse(unauthorizedResponse())(handler, 'handler', descriptor);
    }
  }
  return () => {
    for (const { handler, key, own, value } of saved) {
      if (own) Reflect.defineMetadata(key, value, handler);
      else Reflect.deleteMetadata(key, handler);
    }
  };
}

function declaresScheme(handler: RouteHandler, schemeName: string): boolean {
  const security = Reflect.getMetadata(DECORATORS.API_SECURITY, handler) as
    Record<string, unknown>[] | undefined;
  return security?.some((requirement) => schemeName in requirement) === true;
}

function declaresUnauthorized(handler: RouteHandler): boolean {
  const responses = Reflect.getMetadata(DECORATORS.API_RESPONSE, handler) as
    Record<string, unknown> | undefined;
  return responses?.['401'] !== undefined;
}

/** `config` with the bearer scheme added, unless it already names one. */
function withBearerScheme(
  config: Omit<OpenAPIObject, 'paths'>,
  schemeName: string,
): Omit<OpenAPIObject, 'paths'> {
  const schemes = config.components?.securitySchemes ?? {};
  if (schemeName in schemes) return config;
  return {
    ...config,
    components: {
      ...config.components,
      securitySchemes: {
        ...schemes,
        [schemeName]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An access token from the application, sent as `Authorization: Bearer <token>` (RFC 6750 2.1).',
        },
      },
    },
  };
}

/**
 * The refusal `JwtAuthGuard` answers with, as an OpenAPI response; a fresh
 * object each time, since `@ApiResponse()` writes to its options.
 */
const unauthorizedResponse = (): ApiResponseOptions => ({
  status: 401,
  description:
    'The bearer token is missing, malformed, expired, revoked or otherwise invalid.',
  headers: {
    'WWW-Authenticate': {
      description:
        'The RFC 6750 challenge: `Bearer realm="..."`, plus `error="invalid_token"` and an `error_description` when a token was presented.',
      schema: { type: 'string' },
    },
  },
  schema: {
    type: 'object',
    required: ['statusCode', 'message', 'error'],
    properties: {
      statusCode: { type: 'integer', enum: [401] },
      message: { type: 'string', enum: [REFUSAL_MESSAGE] },
      error: { type: 'string', enum: ['Unauthorized'] },
    },
  },
});
