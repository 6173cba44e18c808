import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Post,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiUnauthorizedResponse,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { randomBytes } from 'node:crypto';
import {
  JwtAuthGuard,
  JwtAuthModule,
  OptionalAuth,
  Public,
  RequireScopes,
} from '../src/jwt-auth/index.js';
import { createJwtAuthDocument } from '../src/jwt-auth/swagger/index.js';
import { ADAPTERS, startApp } from './support/app.js';

const secret = randomBytes(32).toString('base64url');

@Controller('open')
class UndecoratedController {
  @Get()
  list(): void {}

  @Public()
  @Get('catalogue')
  catalogue(): void {}
}

@Public()
@Controller('status')
class PublicController {
  @Get()
  status(): void {}
}

@UseGuards(JwtAuthGuard)
@Controller('orders')
class GuardedController {
  @Get()
  list(): void {}

  @Public()
  @Get('menu')
  menu(): void {}
}

@Controller('basket')
class MethodGuardedController {
  @UseGuards(JwtAuthGuard)
  @Post()
  add(): void {}

  @Get()
  peek(): void {}
}

@Controller('account')
class DeclaringController {
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiUnauthorizedResponse({ description: 'Sign in first.' })
  @Get()
  show(): void {}
}

@UseGuards(JwtAuthGuard)
@Controller('reviews')
class ReviewsController {
  @OptionalAuth()
  @Get()
  list(): void {}

  @RequireScopes('reviews:write', 'profile')
  @Post()
  write(): void {}
}

const controllers = [
  UndecoratedController,
  ReviewsController,
  PublicController,
  GuardedController,
  MethodGuardedController,
  DeclaringController,
];

/** Every operation of the document, by `METHOD path`. */
const OPERATIONS = [
  'GET /open',
  'GET /open/catalogue',
  'GET /status',
  'GET /orders',
  'GET /orders/menu',
  'POST /basket',
  'GET /basket',
  'GET /account',
  'GET /reviews',
  'POST /reviews',
];

/** What `JwtAuthGuard` does to each operation, in each mode. */
const GUARDED = {
  global: [
    'GET /open',
    'GET /orders',
    'POST /basket',
    'GET /basket',
    'GET /account',
    'GET /reviews',
    'POST /reviews',
  ],
  route: [
    'GET /orders',
    'POST /basket',
    'GET /account',
    'GET /reviews',
    'POST /reviews',
  ],
} as const;

/** The security requirement of a guarded operation: `@OptionalAuth()` also lets anonymous callers in. */
const securityOf = (key: string) =>
  key === 'GET /reviews' ? [{}, { bearer: [] }] : [{ bearer: [] }];

const config = () =>
  new DocumentBuilder().setTitle('orders').setVersion('1').build();

function operation(document: OpenAPIObject, key: string) {
  const [method, path] = key.split(' ');
  const found = document.paths[path]?.[method.toLowerCase() as 'get'];
  if (found === undefined)
    throw new Error(`no operation ${key} in the document`);
  return found;
}

const securedOperations = (document: OpenAPIObject): string[] =>
  OPERATIONS.filter((key) => operation(document, key).security !== undefined);

describe.each(ADAPTERS)('createJwtAuthDocument (%s)', (adapter) => {
  let globalApp: INestApplication;
  let routeApp: INestApplication;

  beforeAll(async () => {
    globalApp = await startApp(
      {
        imports: [JwtAuthModule.forRoot({ secret, globalGuard: true })],
        controllers,
      },
      adapter,
    );
    routeApp = await startApp(
      { imports: [JwtAuthModule.forRoot({ secret })], controllers },
      adapter,
    );
  });

  afterAll(async () => {
    await globalApp.close();
    await routeApp.close();
  });

  const apps = () => ({ global: globalApp, route: routeApp });

  it.each(['global', 'route'] as const)(
    'marks exactly the guarded operations with globalGuard mode %s',
    (mode) => {
      const document = createJwtAuthDocument(apps()[mode], config());
      expect(securedOperations(document)).toEqual(GUARDED[mode]);
      for (const key of GUARDED[mode]) {
        expect({ key, security: operation(document, key).security }).toEqual({
          key,
          security: securityOf(key),
        });
      }
      for (const key of OPERATIONS) {
        expect({
          key,
          has401: '401' in operation(document, key).responses,
        }).toEqual({
          key,
          has401: (GUARDED[mode] as readonly string[]).includes(key),
        });
      }
    },
  );

  it('registers the bearer scheme', () => {
    const document = createJwtAuthDocument(routeApp, config());
    expect(document.components?.securitySchemes).toEqual({
      bearer: expect.objectContaining({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
      }),
    });
  });

  it('documents the refusal: its body and the WWW-Authenticate challenge', () => {
    const document = createJwtAuthDocument(globalApp, config());
    const refusal = operation(document, 'GET /open').responses['401'] as {
      headers: Record<string, unknown>;
      content: Record<string, { schema: unknown }>;
    };
    expect(Object.keys(refusal.headers)).toEqual(['WWW-Authenticate']);
    expect(refusal.content['application/json'].schema).toMatchObject({
      properties: {
        statusCode: { enum: [401] },
        message: { enum: ['Could not validate credentials'] },
        error: { enum: ['Unauthorized'] },
      },
    });
  });

  it('documents the 403 of a route that requires scopes, naming them, and no other', () => {
    const document = createJwtAuthDocument(globalApp, config());
    const forbidden = operation(document, 'POST /reviews').responses['403'] as {
      description: string;
      headers: Record<string, unknown>;
      content: Record<string, { schema: unknown }>;
    };
    expect(forbidden.description).toContain('`reviews:write`, `profile`');
    expect(Object.keys(forbidden.headers)).toEqual(['WWW-Authenticate']);
    expect(forbidden.content['application/json'].schema).toMatchObject({
      properties: {
        statusCode: { enum: [403] },
        message: { enum: ['Insufficient scope'] },
        error: { enum: ['Forbidden'] },
      },
    });
    expect(
      OPERATIONS.filter((key) => '403' in operation(document, key).responses),
    ).toEqual(['POST /reviews']);
  });

  it('keeps what a controller declares itself, without repeating it', () => {
    const document = createJwtAuthDocument(globalApp, config());
    const account = operation(document, 'GET /account');
    expect(account.security).toEqual([{ bearer: [] }]);
    expect(account.responses['401']).toMatchObject({
      description: 'Sign in first.',
    });
  });

  it('uses the scheme name it is given, and keeps a scheme the config names', () => {
    const named = new DocumentBuilder()
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', description: 'ours' },
        'jwt',
      )
      .build();
    const document = createJwtAuthDocument(routeApp, named, {
      securitySchemeName: 'jwt',
    });
    expect(document.components?.securitySchemes).toEqual({
      jwt: expect.objectContaining({ description: 'ours' }),
    });
    expect(operation(document, 'GET /orders').security).toEqual([{ jwt: [] }]);
    expect(operation(document, 'GET /account').security).toEqual([
      { bearer: [] },
      { jwt: [] },
    ]);
  });

  it('marks nothing in an application without JwtAuthModule', async () => {
    const bare = await startApp(
      { controllers: [UndecoratedController, PublicController] },
      adapter,
    );
    try {
      const document = createJwtAuthDocument(bare, config());
      expect(Object.keys(document.paths)).toEqual([
        '/open',
        '/open/catalogue',
        '/status',
      ]);
      for (const key of ['GET /open', 'GET /open/catalogue', 'GET /status']) {
        expect(operation(document, key).security).toBeUndefined();
      }
    } finally {
      await bare.close();
    }
  });

  it('leaves the controllers as they were: a plain document stays unmarked', () => {
    createJwtAuthDocument(globalApp, config());
    const plain = SwaggerModule.createDocument(globalApp, config());
    expect(securedOperations(plain)).toEqual(['GET /account']);
    expect(
      OPERATIONS.filter((key) => '401' in operation(plain, key).responses),
    ).toEqual(['GET /account']);
  });
});
