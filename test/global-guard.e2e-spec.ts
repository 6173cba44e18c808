import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import {
  CurrentUser,
  JwtAuthModule,
  Public,
  TokenService,
} from '../src/jwt-auth/index.js';
import { ADAPTERS, expectRefusal, http, startApp } from './support/app.js';

const secret = randomBytes(32).toString('base64url');

@Controller('orders')
class OrdersController {
  @Get()
  list(@CurrentUser() userId: number): { owner: number } {
    return { owner: userId };
  }

  @Public()
  @Get('catalogue')
  catalogue(): { items: string[] } {
    return { items: ['tea'] };
  }
}

@Public()
@Controller('status')
class StatusController {
  @Get()
  status(): { ok: true } {
    return { ok: true };
  }
}

describe.each(ADAPTERS)('globalGuard: true (%s)', (adapter) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp(
      {
        imports: [JwtAuthModule.forRoot({ secret, globalGuard: true })],
        controllers: [OrdersController, StatusController],
      },
      adapter,
    );
  });

  afterAll(async () => {
    await app.close();
  });

  it('guards a route with no decorator', async () => {
    expectRefusal(await http(app).get('/orders'), 'api');
    const token = await app.get(TokenService).sign({ sub: 12 });
    const response = await http(app)
      .get('/orders')
      .set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ owner: 12 });
  });

  it.each(['/orders/catalogue', '/status'])(
    'leaves @Public() %s open',
    async (path) => {
      expect((await http(app).get(path)).status).toBe(200);
    },
  );

  it('still refuses a bad token on a guarded route', async () => {
    const response = await http(app)
      .get('/orders')
      .set('Authorization', 'Bearer a.b.c');
    expectRefusal(response, 'api', 'The access token is malformed');
  });
});
