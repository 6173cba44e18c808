import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Req,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { randomBytes } from 'node:crypto';
import {
  CurrentUser,
  JWT_AUTH_STRATEGY,
  JwtAuthGuard,
  JwtAuthModule,
  TokenService,
  type AuthenticatedUser,
} from '../src/jwt-auth/index.js';
import { ADAPTERS, expectRefusal, http, startApp } from './support/app.js';

@Controller()
class MeController {
  @UseGuards(JwtAuthGuard)
  @Get('me')
  me(@CurrentUser() userId: number): { userId: number } {
    return { userId };
  }

  @UseGuards(AuthGuard(JWT_AUTH_STRATEGY))
  @Get('passport')
  passport(@Req() request: { user: AuthenticatedUser }): { userId: number } {
    return { userId: request.user.userId };
  }
}

describe.each(ADAPTERS)('two modules in one process (%s)', (adapter) => {
  const secrets = [
    randomBytes(32).toString('base64url'),
    randomBytes(32).toString('base64url'),
  ];
  const apps: INestApplication[] = [];
  const tokens: string[] = [];

  beforeAll(async () => {
    for (const [index, secret] of secrets.entries()) {
      const app = await startApp(
        {
          imports: [JwtAuthModule.forRoot({ secret, realm: `app${index}` })],
          controllers: [MeController],
        },
        adapter,
      );
      apps.push(app);
      tokens.push(await app.get(TokenService).sign({ sub: 10 + index }));
    }
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it.each([0, 1])(
    'app %i accepts its own tokens and refuses the other app',
    async (index) => {
      const own = await http(apps[index])
        .get('/me')
        .set('Authorization', `Bearer ${tokens[index]}`);
      expect(own.status).toBe(200);
      expect(own.body).toEqual({ userId: 10 + index });

      const other = await http(apps[index])
        .get('/me')
        .set('Authorization', `Bearer ${tokens[1 - index]}`);
      expectRefusal(
        other,
        `app${index}`,
        'The access token signature is invalid',
      );
    },
  );

  it('serves AuthGuard(JWT_AUTH_STRATEGY) by the same rules', async () => {
    // Passport keeps one strategy per name for the process: the last module's.
    const last = apps.length - 1;
    const accepted = await http(apps[last])
      .get('/passport')
      .set('Authorization', `Bearer ${tokens[last]}`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ userId: 10 + last });
    const refused = await http(apps[last])
      .get('/passport')
      .set('Authorization', `Bearer ${tokens[last]}x`);
    expect(refused.status).toBe(401);
    const missing = await http(apps[last]).get('/passport');
    expect(missing.status).toBe(401);
  });
});
