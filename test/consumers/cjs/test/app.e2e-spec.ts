import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  overrideJwtAuthGuard,
  testAuthorizationHeader,
} from 'nest-jwt-auth/testing';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { AppModule } from '../src/app.module';

process.env.JWT_SECRET = randomBytes(32).toString('base64url');

describe('with the real guard', () => {
  let app: INestApplication;

  before(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();
    app = await moduleRef.createNestApplication().init();
  });

  after(async () => {
    await app.close();
  });

  it('answers a signed-in user', async () => {
    await request(app.getHttpServer())
      .get('/me')
      .set('Authorization', await testAuthorizationHeader(app, 7))
      .expect(200, { userId: 7 });
  });

  it('refuses a request without a token', async () => {
    const response = await request(app.getHttpServer()).get('/me').expect(401);
    assert.match(response.headers['www-authenticate'] ?? '', /^Bearer /);
  });

  it('accepts the token its own login issues', async () => {
    const login = await request(app.getHttpServer())
      .post('/auth/login')
      .send({ username: 'ada', password: 'ada-password' })
      .expect(200);
    const { access_token } = login.body as { access_token: string };
    await request(app.getHttpServer())
      .get('/me')
      .set('Authorization', `Bearer ${access_token}`)
      .expect(200, { userId: 1 });
  });

  it('keeps public routes open', async () => {
    await request(app.getHttpServer()).get('/health').expect(200);
  });
});

describe('with the guard replaced by a fixed user', () => {
  let app: INestApplication;

  before(async () => {
    const moduleRef = await overrideJwtAuthGuard(
      Test.createTestingModule({ imports: [AppModule] }),
      { userId: 42 },
    ).compile();
    app = await moduleRef.createNestApplication().init();
  });

  after(async () => {
    await app.close();
  });

  it('needs no token', async () => {
    await request(app.getHttpServer()).get('/me').expect(200, { userId: 42 });
  });
});

describe('the package', () => {
  it('opens the testing helpers only through nest-jwt-auth/testing', () => {
    assert.ok(require.resolve('nest-jwt-auth/testing'));
    for (const deep of [
      'nest-jwt-auth/dist/jwt-auth/testing/index.js',
      'nest-jwt-auth/src/jwt-auth/testing/index.ts',
    ]) {
      assert.throws(() => require.resolve(deep), {
        code: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      });
    }
  });
});
