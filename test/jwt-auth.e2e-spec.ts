import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import {
  CurrentUser,
  INVALID_TOKEN_DESCRIPTIONS,
  InvalidTokenError,
  JwtAuthGuard,
  JwtAuthModule,
  TokenService,
} from '../src/jwt-auth/index.js';
import { ADAPTERS, expectRefusal, http, startApp } from './support/app.js';
import { forgeToken, nowSeconds } from './support/jws.js';
import { BAD_TOKENS } from './support/token-cases.js';

const secret = randomBytes(32).toString('base64url');
const realm = 'e2e';

@Controller()
class ProfileController {
  @UseGuards(JwtAuthGuard)
  @Get('profile')
  profile(@CurrentUser() userId: number): { userId: number } {
    return { userId };
  }

  @Get('open')
  open(): { open: true } {
    return { open: true };
  }
}

describe.each(ADAPTERS)('JwtAuthModule with @UseGuards (%s)', (adapter) => {
  let app: INestApplication;
  let tokens: TokenService;
  const get = (authorization?: string) => {
    const call = http(app).get('/profile');
    return authorization === undefined
      ? call
      : call.set('Authorization', authorization);
  };

  beforeAll(async () => {
    app = await startApp(
      {
        imports: [JwtAuthModule.forRoot({ secret, realm })],
        controllers: [ProfileController],
      },
      adapter,
    );
    tokens = app.get(TokenService);
  });

  afterAll(async () => {
    await app.close();
  });

  it.each([
    ['"42"', '42', 42],
    ['"0" (user 0 is a real user)', '0', 0],
    [
      'MAX_SAFE_INTEGER',
      String(Number.MAX_SAFE_INTEGER),
      Number.MAX_SAFE_INTEGER,
    ],
  ])('answers 200 with the user id for sub %s', async (_label, sub, userId) => {
    const response = await get(`Bearer ${await tokens.sign({ sub })}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ userId });
  });

  it('accepts a JSON integer sub, including 0', async () => {
    const token = forgeToken({
      payload: { sub: 0, exp: nowSeconds() + 60 },
      key: secret,
    });
    const response = await get(`Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ userId: 0 });
  });

  it('takes the scheme in any case', async () => {
    const token = await tokens.sign({ sub: 5 });
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
      const response = await get(`${scheme} ${token}`);
      expect(response.status).toBe(200);
    }
  });

  it('leaves unguarded routes open', async () => {
    const response = await http(app).get('/open');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ open: true });
  });

  describe('refuses, with no error code, a request that presents no bearer token', () => {
    it.each([
      ['no Authorization header', undefined],
      ['an empty header', ''],
      ['a bare Bearer', 'Bearer'],
      ['the Basic scheme', 'Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ='],
      ['a token without a scheme', 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln'],
    ])('%s', async (_label, authorization) => {
      expectRefusal(await get(authorization), realm);
    });

    it('a token only in the query string or a cookie', async () => {
      const token = await tokens.sign({ sub: 1 });
      expectRefusal(
        await http(app).get(`/profile?access_token=${token}`),
        realm,
      );
      expectRefusal(
        await http(app).get('/profile').set('Cookie', `access_token=${token}`),
        realm,
      );
    });
  });

  it.each([
    ['two tokens', (t: string) => `Bearer ${t} ${t}`],
    ['trailing junk', (t: string) => `Bearer ${t} junk`],
    ['a comma-joined second token', (t: string) => `Bearer ${t},${t}`],
  ])('refuses a header with %s as malformed', async (_label, header) => {
    const token = await tokens.sign({ sub: 1 });
    expectRefusal(
      await get(header(token)),
      realm,
      'The access token is malformed',
    );
  });

  it.each(BAD_TOKENS.map((c) => [c.label, c] as const))(
    'refuses %s with exactly the 401, as TokenService.verify() does',
    async (_label, badToken) => {
      const token = badToken.token(secret);
      expectRefusal(
        await get(`Bearer ${token}`),
        realm,
        INVALID_TOKEN_DESCRIPTIONS[badToken.code],
      );
      // One set of rules: the service refuses it for the same reason.
      const refusal = await tokens
        .verify(token)
        .catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(InvalidTokenError);
      expect((refusal as InvalidTokenError).code).toBe(badToken.code);
    },
  );

  it('never echoes the token in the response', async () => {
    const token = forgeToken({
      payload: { sub: 'leak-canary', exp: nowSeconds() + 60 },
      key: secret,
    });
    const response = await get(`Bearer ${token}`);
    expect(response.status).toBe(401);
    expect(JSON.stringify(response.headers) + response.text).not.toMatch(
      /leak-canary|eyJ/,
    );
  });
});
