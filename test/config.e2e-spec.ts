import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import {
  CurrentUser,
  JwtAuthGuard,
  JwtAuthModule,
  JwtAuthOptionsError,
  TokenService,
} from '../src/jwt-auth/index.js';
import { ADAPTERS, expectRefusal, http, startApp } from './support/app.js';
import { forgeToken, nowSeconds } from './support/jws.js';

const secret = randomBytes(32).toString('base64url');

@Controller()
class MeController {
  @UseGuards(JwtAuthGuard)
  @Get('me')
  me(@CurrentUser() userId: number): { userId: number } {
    return { userId };
  }
}

/** forRootAsync fed by @nestjs/config, the way applications configure it. */
function configuredModule(env: Record<string, string | undefined>) {
  return JwtAuthModule.forRootAsync({
    imports: [
      ConfigModule.forRoot({
        ignoreEnvFile: true,
        ignoreEnvVars: true,
        load: [() => env],
      }),
    ],
    inject: [ConfigService],
    useFactory: (config: ConfigService) => ({
      secret: config.getOrThrow<string>('JWT_SECRET'),
      issuer: config.get<string>('JWT_ISSUER'),
      audience: config.get<string>('JWT_AUDIENCE'),
      realm: 'configured',
    }),
  });
}

describe.each(ADAPTERS)('forRootAsync with ConfigService (%s)', (adapter) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp(
      {
        imports: [
          configuredModule({
            JWT_SECRET: secret,
            JWT_ISSUER: 'https://id.example',
            JWT_AUDIENCE: 'orders',
          }),
        ],
        controllers: [MeController],
      },
      adapter,
    );
  });

  afterAll(async () => {
    await app.close();
  });

  it('signs and accepts tokens with the configured issuer and audience', async () => {
    const token = await app.get(TokenService).sign({ sub: 31 });
    const response = await http(app)
      .get('/me')
      .set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ userId: 31 });
  });

  it.each([
    ['no issuer or audience', {}],
    ['a foreign issuer', { iss: 'https://evil.example', aud: 'orders' }],
    ['a foreign audience', { iss: 'https://id.example', aud: 'billing' }],
  ])('refuses a token with %s', async (_label, claims) => {
    const token = forgeToken({
      payload: { sub: '1', exp: nowSeconds() + 60, ...claims },
      key: secret,
    });
    const response = await http(app)
      .get('/me')
      .set('Authorization', `Bearer ${token}`);
    expectRefusal(
      response,
      'configured',
      'The access token was not issued for this service',
    );
  });
});

describe('startup validation', () => {
  async function startupFault(
    env: Record<string, string | undefined>,
  ): Promise<unknown> {
    return Test.createTestingModule({ imports: [configuredModule(env)] })
      .compile()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
  }

  it('refuses a 31-byte secret, naming the option', async () => {
    const fault = await startupFault({ JWT_SECRET: 'a'.repeat(31) });
    expect(fault).toBeInstanceOf(JwtAuthOptionsError);
    expect((fault as JwtAuthOptionsError).option).toBe('secret');
    expect((fault as Error).message).not.toContain('a'.repeat(31));
  });

  it('refuses a missing secret', async () => {
    const fault = await startupFault({});
    expect(fault).toBeInstanceOf(Error);
    expect((fault as Error).message).toContain('JWT_SECRET');
  });

  it('refuses a bad option coming from configuration', async () => {
    const fault = await startupFault({ JWT_SECRET: secret, JWT_AUDIENCE: '' });
    expect((fault as JwtAuthOptionsError).option).toBe('audience');
  });

  it('starts with a good secret', async () => {
    await expect(startupFault({ JWT_SECRET: secret })).resolves.toBeUndefined();
  });
});
