import type { INestApplication, Type } from '@nestjs/common';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import {
  ApiBearerAuth,
  ApiResponse,
  ApiSecurity,
  DECORATORS,
  SwaggerModule,
  type ApiResponseOptions,
  type OpenAPIObject,
  type SwaggerDocumentOptions,
} from '@nestjs/swagger';
import {
  INSUFFICIENT_SCOPE_MESSAGE,
  REFUSAL_MESSAGE,
} from '../bearer-challenge.service.js';
import { JWT_AUTH_GLOBAL_GUARD } from '../jwt-auth.module-definition.js';
import type { RouteHandler } from '../route-access.js';
import {
  bearerRequirement,
  type BearerRequirement,
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

/**
 * Every controller method of `app` that `JwtAuthGuard` checks a bearer
 * token on, with what it asks of the token.
 */
function guardedHandlers(
  app: INestApplication,
): Map<RouteHandler, BearerRequirement> {
  const modules = [...app.get(ModulesContainer).values()];
  // Without JwtAuthModule there is no such provider, and nothing is guarded.
  const globalGuard = modules.some(
    (module) => module.providers.get(JWT_AUTH_GLOBAL_GUARD)?.instance === true,
  );
  const scanner = new MetadataScanner();
  const guarded = new Map<RouteHandler, BearerRequirement>();
  for (const module of modules) {
    for (const { metatype } of module.controllers.values()) {
      const controller = metatype as Type;
      const prototype = controller.prototype as Record<string, RouteHandler>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        // A method inherited by several controllers carries one set of
        // metadata: it is marked if any of them guards it, as the
        // strictest of them does.
        const requirement = bearerRequirement(controller, handler, globalGuard);
        if (requirement !== undefined) {
          guarded.set(handler, stricter(guarded.get(handler), requirement));
        }
      }
    }
  }
  return guarded;
}

/** The stricter of two requirements: a token over none, then more scopes. */
function stricter(
  a: BearerRequirement | undefined,
  b: BearerRequirement,
): BearerRequirement {
  if (a === undefined || a.mode === 'optional') return b;
  if (b.mode === 'optional') return a;
  return { mode: 'required', scopes: [...new Set([...a.scopes, ...b.scopes])] };
}

/**
 * Applies the bearer requirement and the 401 response to each handler (an
 * `@OptionalAuth()` route also lets anonymous callers in, and a route with
 * `@RequireScopes()` documents its 403) and returns the function that puts
 * the handlers' own metadata back.
 */
function lendMetadata(
  handlers: Map<RouteHandler, BearerRequirement>,
  schemeName: string,
): () => void {
  const saved = [...handlers.keys()].flatMap((handler) =>
    LENT_KEYS.map((key) => ({
      handler,
      key,
      own: Reflect.hasOwnMetadata(key, handler),
      value: Reflect.getOwnMetadata(key, handler) as unknown,
    })),
  );
  for (const [handler, requirement] of handlers) {
    // Swagger's method decorators write to the descriptor's value alone.
    const descriptor = { value: handler };
    if (!declaresScheme(handler, schemeName)) {
      // An empty requirement is the anonymous alternative (OpenAPI 3.0,
      // Security Requirement Object).
      if (requirement.mode === 'optional') {
        ApiSecurity({})(handler, 'handler', descriptor);
      }
      ApiBearerAuth(schemeName)(handler, 'handler', descriptor);
    }
    if (!declaresResponse(handler, 401)) {
      ApiResponse(unauthorizedResponse())(handler, 'handler', descriptor);
    }
    if (
      requirement.mode === 'required' &&
      requirement.scopes.length > 0 &&
      !declaresResponse(handler, 403)
    ) {
      ApiResponse(insufficientScopeResponse(requirement.scopes))(
        handler,
        'handler',
        descriptor,
      );
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

function declaresResponse(handler: RouteHandler, status: number): boolean {
  const responses = Reflect.getMetadata(DECORATORS.API_RESPONSE, handler) as
    Record<string, unknown> | undefined;
  return responses?.[String(status)] !== undefined;
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

/** An answer of `JwtAuthGuard` with its RFC 6750 challenge, as an OpenAPI response. */
function challengeResponse(answer: {
  status: 401 | 403;
  description: string;
  challenge: string;
  message: string;
  error: string;
}): ApiResponseOptions {
  return {
    status: answer.status,
    description: answer.description,
    headers: {
      'WWW-Authenticate': {
        description: answer.challenge,
        schema: { type: 'string' },
      },
    },
    schema: {
      type: 'object',
      required: ['statusCode', 'message', 'error'],
      properties: {
        statusCode: { type: 'integer', enum: [answer.status] },
        message: { type: 'string', enum: [answer.message] },
        error: { type: 'string', enum: [answer.error] },
      },
    },
  };
}

/**
 * The refusal `JwtAuthGuard` answers with, as an OpenAPI response; a fresh
 * object each time, since `@ApiResponse()` writes to its options.
 */
const unauthorizedResponse = (): ApiResponseOptions =>
  challengeResponse({
    status: 401,
    description:
      'The bearer token is missing, malformed, expired, revoked or otherwise invalid.',
    challenge:
      'The RFC 6750 challenge: `Bearer realm="..."`, plus `error="invalid_token"` and an `error_description` when a token was presented.',
    message: REFUSAL_MESSAGE,
    error: 'Unauthorized',
  });

/**
 * The refusal of a valid token that lacks a scope the route requires
 * (RFC 6750 3.1). The scopes are named in the description: an `http`
 * security scheme takes no scope list in OpenAPI 3.0.
 */
const insufficientScopeResponse = (
  scopes: readonly string[],
): ApiResponseOptions =>
  challengeResponse({
    status: 403,
    description: `The access token does not grant every required scope: ${scopes.map((scope) => `\`${scope}\``).join(', ')}.`,
    challenge:
      'The RFC 6750 challenge: `Bearer realm="...", error="insufficient_scope"`, an `error_description` and the required `scope`.',
    message: INSUFFICIENT_SCOPE_MESSAGE,
    error: 'Forbidden',
  });
