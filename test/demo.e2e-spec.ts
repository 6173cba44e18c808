import {
  afterAll,
  afterEach,
  beforeAll,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Response } from 'supertest';
import { randomBytes } from 'node:crypto';
import { AppModule } from '../src/app.module.js';
import { DemoConfigError } from '../src/demo.config.js';
import { JwtAuthOptionsError } from '../src/jwt-auth/index.js';
import { ADAPTERS, expectRefusal, http, startApp } from './support/app.js';
import { forgeToken, nowSeconds } from './support/jws.js';

/** The body of the 429 for a login over a limit. */
const TOO_MANY_REQUESTS_BODY = {
  statusCode: 429,
  message: 'Too many login attempts',
  error: 'Too Many Requests',
};

const secret = randomBytes(32).toString('base64url');
const realm = 'nest-jwt-auth-demo';
const ENV_KEYS = [
  'JWT_SECRET',
  'NODE_ENV',
  'LOGIN_LIMIT_PER_IP',
  'LOGIN_LIMIT_PER_USERNAME',
  'LOGIN_LIMIT_WINDOW',
] as const;
const savedEnv = Object.fromEntries(
  ENV_KEYS.map((key) => [key, process.env[key]]),
);

function setEnv(env: Partial<Record<(typeof ENV_KEYS)[number], string>>): void {
  for (const key of ENV_KEYS) {
    if (env[key] === undefined) delete process.env[key];
    else process.env[key] = env[key];
  }
}

afterAll(() => {
  setEnv(savedEnv);
});

describe.each(ADAPTERS)('the demo app (%s)', (adapter) => {
  let app: INestApplication;

  beforeAll(async () => {
    // Limits far above the logins these tests make; their own suite tests them.
    setEnv({
      JWT_SECRET: secret,
      NODE_ENV: 'test',
      LOGIN_LIMIT_PER_IP: '1000',
      LOGIN_LIMIT_PER_USERNAME: '1000',
    });
    app = await startApp({ imports: [AppModule] }, adapter);
  });

  afterAll(async () => {
    await app.close();
  });

  const login = (body: unknown) =>
    http(app)
      .post('/auth/login')
      .send(body as object);

  it('answers /health without a token', async () => {
    const response = await http(app).get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it.each([
    ['alice', 'alice-password', 1],
    ['bob', 'bob-password', 2],
  ])(
    'logs %s in with an RFC 6749 token response that /me accepts',
    async (username, password, userId) => {
      const response = await login({ username, password });
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(Object.keys(response.body as object).sort()).toEqual([
        'access_token',
        'expires_in',
        'token_type',
      ]);
      expect(response.body).toMatchObject({
        token_type: 'Bearer',
        expires_in: 86_400,
      });

      const token = (response.body as { access_token: string }).access_token;
      const me = await http(app)
        .get('/me')
        .set('Authorization', `Bearer ${token}`);
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ userId });
    },
  );

  it.each([
    ['a wrong password', { username: 'alice', password: 'bob-password' }],
    ['an unknown user', { username: 'mallory', password: 'alice-password' }],
    [
      'a username in another case',
      { username: 'Alice', password: 'alice-password' },
    ],
  ])('refuses %s with the 401', async (_label, body) => {
    expectRefusal(await login(body), realm);
  });

  it.each([
    ['an empty body', {}],
    ['no password', { username: 'alice' }],
    ['a numeric password', { username: 'alice', password: 123 }],
    ['an empty username', { username: '', password: 'x' }],
    ['an overlong password', { username: 'alice', password: 'x'.repeat(1025) }],
    ['a JSON array', ['alice', 'alice-password']],
  ])('answers 400 to %s', async (_label, body) => {
    const response = await login(body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
    });
  });

  it('answers 400 to a body that is not JSON', async () => {
    const response = await http(app)
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"username":');
    expect(response.status).toBe(400);
  });

  it('logs out: the token is then refused as revoked', async () => {
    const response = await login({ username: 'bob', password: 'bob-password' });
    const token = (response.body as { access_token: string }).access_token;
    const auth = { Authorization: `Bearer ${token}` };
    expect((await http(app).get('/me').set(auth)).status).toBe(200);
    expect((await http(app).post('/auth/logout').set(auth)).status).toBe(204);
    expectRefusal(
      await http(app).get('/me').set(auth),
      realm,
      'The access token has been revoked',
    );
    expectRefusal(
      await http(app).post('/auth/logout').set(auth),
      realm,
      'The access token has been revoked',
    );
    expectRefusal(await http(app).post('/auth/logout'), realm);
  });

  it('refuses /me without a token, and with an expired one', async () => {
    expectRefusal(await http(app).get('/me'), realm);
    const expired = forgeToken({
      payload: { sub: '1', exp: nowSeconds() - 1 },
      key: secret,
    });
    const response = await http(app)
      .get('/me')
      .set('Authorization', `Bearer ${expired}`);
    expectRefusal(response, realm, 'The access token expired');
  });
});

describe.each(ADAPTERS)("the demo's login limits (%s)", (adapter) => {
  const window = 30;
  let started: INestApplication | undefined;

  afterEach(async () => {
    await started?.close();
    started = undefined;
  });

  /** The demo with these limits per address and per username, in a 30 s window. */
  async function start(
    perIp: number,
    perUsername: number,
  ): Promise<INestApplication> {
    setEnv({
      JWT_SECRET: secret,
      NODE_ENV: 'test',
      LOGIN_LIMIT_PER_IP: String(perIp),
      LOGIN_LIMIT_PER_USERNAME: String(perUsername),
      LOGIN_LIMIT_WINDOW: String(window),
    });
    started = await startApp({ imports: [AppModule] }, adapter);
    return started;
  }

  const login = (
    app: INestApplication,
    username: string,
    password = `${username}-password`,
  ) => http(app).post('/auth/login').send({ username, password });

  function expectTooManyRequests(response: Response): void {
    expect({
      status: response.status,
      body: response.body as unknown,
    }).toEqual({ status: 429, body: TOO_MANY_REQUESTS_BODY });
    const retryAfter = response.headers['retry-after'];
    expect(retryAfter).toMatch(/^[0-9]+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(window);
  }

  it('refuses the attempt after LOGIN_LIMIT_PER_IP from one address, and limits nothing but login', async () => {
    const app = await start(3, 100);
    const alice = await login(app, 'alice');
    expect(alice.status).toBe(200);
    expect((await login(app, 'bob', 'alice-password')).status).toBe(401);
    expect((await login(app, 'carol', '')).status).toBe(400);
    expectTooManyRequests(await login(app, 'dave'));
    expectTooManyRequests(await login(app, 'alice'));

    const { access_token: token } = alice.body as { access_token: string };
    const auth = { Authorization: `Bearer ${token}` };
    for (let request = 0; request < 5; request++) {
      expect((await http(app).get('/health')).status).toBe(200);
      expect((await http(app).get('/me').set(auth)).status).toBe(200);
    }
    expect((await http(app).post('/auth/logout').set(auth)).status).toBe(204);
  });

  it('refuses a username after LOGIN_LIMIT_PER_USERNAME attempts; another passes it but counts for the address', async () => {
    const app = await start(4, 2);
    expect((await login(app, 'alice', 'wrong')).status).toBe(401);
    expect((await login(app, 'alice', 'wrong')).status).toBe(401);
    // alice's third, this address's third: over her limit alone.
    expectTooManyRequests(await login(app, 'alice'));
    // bob has a count of his own, and makes this address's fourth.
    expect((await login(app, 'bob')).status).toBe(200);
    // carol's first attempt, this address's fifth: over its limit.
    expectTooManyRequests(await login(app, 'carol'));
  });
});

describe('the demo at startup', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const startupFault = (): Promise<unknown> =>
    Test.createTestingModule({ imports: [AppModule] })
      .compile()
      .then(
        () => undefined,
        (error: unknown) => error,
      );

  it('refuses to start in production without JWT_SECRET, naming it', async () => {
    setEnv({ NODE_ENV: 'production' });
    const fault = await startupFault();
    expect(fault).toBeInstanceOf(DemoConfigError);
    expect((fault as DemoConfigError).variable).toBe('JWT_SECRET');
    expect((fault as Error).message).toContain('JWT_SECRET');
  });

  it('refuses a 31-byte JWT_SECRET', async () => {
    setEnv({ NODE_ENV: 'production', JWT_SECRET: 'z'.repeat(31) });
    const fault = await startupFault();
    expect(fault).toBeInstanceOf(JwtAuthOptionsError);
    expect((fault as JwtAuthOptionsError).option).toBe('secret');
  });

  it.each([
    ['LOGIN_LIMIT_PER_IP', '0'],
    ['LOGIN_LIMIT_PER_USERNAME', 'twenty'],
    ['LOGIN_LIMIT_WINDOW', '1.5'],
    ['LOGIN_LIMIT_WINDOW', '-60'],
  ] as const)('refuses %s=%s, naming it', async (variable, value) => {
    setEnv({ JWT_SECRET: secret, NODE_ENV: 'test', [variable]: value });
    const fault = await startupFault();
    expect(fault).toBeInstanceOf(DemoConfigError);
    expect((fault as DemoConfigError).variable).toBe(variable);
    expect((fault as Error).message).toBe(
      `${variable} must be a whole number from 1 to 999999999`,
    );
  });

  it('outside production, starts with an ephemeral secret', async () => {
    setEnv({ NODE_ENV: 'development' });
    app = await startApp({ imports: [AppModule] }, 'express');
    const response = await http(app)
      .post('/auth/login')
      .send({ username: 'alice', password: 'alice-password' });
    const token = (response.body as { access_token: string }).access_token;
    const me = await http(app)
      .get('/me')
      .set('Authorization', `Bearer ${token}`);
    expect(me.body).toEqual({ userId: 1 });
    // A token signed with anything else, the previous secret included, is refused.
    const stale = forgeToken({
      payload: { sub: '1', exp: nowSeconds() + 60 },
      key: secret,
    });
    expectRefusal(
      await http(app).get('/me').set('Authorization', `Bearer ${stale}`),
      realm,
      'The access token signature is invalid',
    );
  });
});
