import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Req,
  UseGuards,
  type INestApplication,
  type ModuleMetadata,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import {
  JwtAuthGuard,
  JwtAuthModule,
  JwtStrategy,
  OptionalAuth,
  OptionalUser,
  Public,
  RequireScopes,
  TokenService,
  type AuthenticatedUser,
  type JwtAuthModuleOptions,
} from '../src/jwt-auth/index.js';
import {
  overrideJwtAuthGuard,
  signTestToken,
  testAuthorizationHeader,
} from '../src/jwt-auth/testing/index.js';
import { TestingJwtStrategy } from '../src/jwt-auth/testing/testing-jwt.strategy.js';
import {
  ADAPTERS,
  expectForbidden,
  expectRefusal,
  http,
  listen,
  type AdapterName,
} from './support/app.js';

const options: JwtAuthModuleOptions = {
  secret: randomBytes(48),
  algorithm: 'HS384',
  issuer: 'https://issuer.test',
  audience: ['orders-api', 'other-api'],
  expiresIn: 600,
  realm: 'helpers',
};

type Seen = { user: AuthenticatedUser | null };
type RequestWithUser = { user?: AuthenticatedUser };

/** Guarded and open routes that show what the guard put on the request. */
@Controller()
class RoutesController {
  @Get('guarded')
  guarded(@Req() request: RequestWithUser): Seen {
    return { user: request.user ?? null };
  }

  @Public()
  @Get('open')
  open(@Req() request: RequestWithUser): Seen {
    return { user: request.user ?? null };
  }

  @OptionalAuth()
  @Get('optional')
  optional(@OptionalUser() userId: number | undefined): {
    userId: number | null;
  } {
    return { userId: userId ?? null };
  }

  @RequireScopes('orders:write')
  @Get('scoped')
  scoped(@Req() request: RequestWithUser): Seen {
    return { user: request.user ?? null };
  }
}

@UseGuards(JwtAuthGuard)
@Controller()
class UseGuardsController extends RoutesController {}

/** The two ways an app guards routes, and the modules that do each. */
const GUARD_MODES: Record<string, ModuleMetadata> = {
  '@UseGuards(JwtAuthGuard)': {
    imports: [JwtAuthModule.forRoot({ ...options, isGlobal: true })],
    controllers: [UseGuardsController],
  },
  'globalGuard: true': {
    imports: [JwtAuthModule.forRoot({ ...options, globalGuard: true })],
    controllers: [RoutesController],
  },
  'APP_GUARD with useExisting': {
    imports: [JwtAuthModule.forRoot({ ...options, isGlobal: true })],
    controllers: [RoutesController],
    providers: [{ provide: APP_GUARD, useExisting: JwtAuthGuard }],
  },
  'APP_GUARD with useClass': {
    imports: [JwtAuthModule.forRoot({ ...options, isGlobal: true })],
    controllers: [RoutesController],
    providers: [{ provide: APP_GUARD, useClass: JwtAuthGuard }],
  },
};

const decodeJson = (segment: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

describe.each(ADAPTERS)('testing helpers (%s)', (adapter: AdapterName) => {
  const apps: INestApplication[] = [];
  const start = async (
    metadata: ModuleMetadata,
    override: (builder: TestingModuleBuilder) => TestingModuleBuilder = (b) =>
      b,
  ): Promise<INestApplication> => {
    const moduleRef = await override(
      Test.createTestingModule(metadata),
    ).compile();
    const app = await listen(moduleRef, adapter);
    apps.push(app);
    return app;
  };

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  describe.each(Object.entries(GUARD_MODES))('with %s', (_mode, metadata) => {
    it('mints a token the real guard accepts', async () => {
      const app = await start(metadata);
      const response = await http(app)
        .get('/guarded')
        .set(
          'Authorization',
          await testAuthorizationHeader(app, 7, { claims: { role: 'admin' } }),
        );
      expect(response.status).toBe(200);
      expect((response.body as Seen).user).toMatchObject({
        userId: 7,
        claims: { sub: '7', role: 'admin' },
      });
      expectRefusal(await http(app).get('/guarded'), 'helpers');
    });

    it('replaces the guard with a fixed user: no token needed, none verified', async () => {
      const app = await start(metadata, (builder) =>
        overrideJwtAuthGuard(builder, { userId: 7, claims: { role: 'admin' } }),
      );
      expect(app.get(JwtStrategy)).toBeInstanceOf(TestingJwtStrategy);
      for (const call of [
        http(app).get('/guarded'),
        http(app).get('/guarded').set('Authorization', 'Bearer a.b.c'),
      ]) {
        const response = await call;
        expect(response.status).toBe(200);
        expect((response.body as Seen).user).toMatchObject({
          userId: 7,
          claims: { sub: '7', role: 'admin' },
        });
      }
    });

    it('leaves @Public() routes without a user, as the real guard does', async () => {
      const app = await start(metadata, (builder) =>
        overrideJwtAuthGuard(builder, { userId: 7 }),
      );
      const response = await http(app).get('/open');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ user: null });
    });

    it('with allow-anonymous, lets requests through with no user, but not to routes that require scopes', async () => {
      const app = await start(metadata, (builder) =>
        overrideJwtAuthGuard(builder, 'allow-anonymous'),
      );
      const response = await http(app).get('/guarded');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ user: null });
      const optional = await http(app).get('/optional');
      expect(optional.body).toEqual({ userId: null });
      // Scopes are still checked: an anonymous caller has none.
      expectRefusal(await http(app).get('/scoped'), 'helpers');
    });

    it('gives @OptionalAuth() routes the fixed user', async () => {
      const app = await start(metadata, (builder) =>
        overrideJwtAuthGuard(builder, { userId: 0 }),
      );
      expect((await http(app).get('/optional')).body).toEqual({ userId: 0 });
    });

    it('still checks scopes: the fixed user passes a @RequireScopes() route only with the scope', async () => {
      const scoped = await start(metadata, (builder) =>
        overrideJwtAuthGuard(builder, {
          userId: 7,
          claims: { scope: 'orders:read orders:write' },
        }),
      );
      const granted = await http(scoped).get('/scoped');
      expect(granted.status).toBe(200);
      expect((granted.body as Seen).user).toMatchObject({ userId: 7 });

      const unscoped = await start(metadata, (builder) =>
        overrideJwtAuthGuard(builder, {
          userId: 7,
          claims: { scope: 'orders:read' },
        }),
      );
      expectForbidden(
        await http(unscoped).get('/scoped'),
        'helpers',
        'orders:write',
      );
    });
  });

  it("signs for userId whatever the claims say, with the app's own secret, algorithm, issuer, audience and lifetime", async () => {
    const app = await start(GUARD_MODES['globalGuard: true']);
    const token = await signTestToken(app, 3, {
      expiresIn: 60,
      claims: { sub: 99 },
    });
    const [header, claims] = token.split('.');
    expect(decodeJson(header)).toEqual({ alg: 'HS384', typ: 'JWT' });
    const decoded = decodeJson(claims);
    expect(decoded).toMatchObject({
      sub: '3',
      iss: 'https://issuer.test',
      aud: 'orders-api',
    });
    expect(Number(decoded.exp) - Number(decoded.iat)).toBe(60);
    await expect(app.get(TokenService).verify(token)).resolves.toMatchObject({
      userId: 3,
    });
  });

  it('mints tokens only another app with the same configuration accepts', async () => {
    const ours = await start(GUARD_MODES['globalGuard: true']);
    const theirs = await start({
      imports: [
        JwtAuthModule.forRoot({
          ...options,
          secret: randomBytes(48),
          globalGuard: true,
        }),
      ],
      controllers: [RoutesController],
    });
    const response = await http(theirs)
      .get('/guarded')
      .set('Authorization', await testAuthorizationHeader(ours, 3));
    expectRefusal(response, 'helpers', 'The access token signature is invalid');
  });

  it('refuses what TokenService.sign() refuses', async () => {
    const app = await start(GUARD_MODES['globalGuard: true']);
    await expect(signTestToken(app, -1)).rejects.toThrow(TypeError);
    await expect(signTestToken(app, 1, { claims: { exp: 1 } })).rejects.toThrow(
      TypeError,
    );
    await expect(signTestToken(app, 1, { expiresIn: 601 })).rejects.toThrow(
      TypeError,
    );
  });

  it("shows why: Nest's overrideGuard() alone leaves the global guard real", async () => {
    const app = await start(GUARD_MODES['globalGuard: true'], (builder) =>
      builder.overrideGuard(JwtAuthGuard).useValue({ canActivate: () => true }),
    );
    expectRefusal(await http(app).get('/guarded'), 'helpers');
  });
});
