import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Req,
  UseGuards,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { randomBytes } from 'node:crypto';
import passport from 'passport';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  JWT_AUTH_STRATEGY,
  JwtAuthModule,
  type AuthenticatedUser,
} from '../src/jwt-auth/index.js';
import { ADAPTERS, expectRawRefusal, startApp } from './support/app.js';
import { hostileCases, validCases } from './support/hostile-cases.js';
import { rawGet } from './support/raw-http.js';

const secret = randomBytes(32).toString('base64url');
const realm = 'passport';
const cases = hostileCases(secret);

/** Guarded by Passport's own guard alone, as a Nest tutorial would. */
@Controller()
class PassportController {
  @UseGuards(AuthGuard(JWT_AUTH_STRATEGY))
  @Get('me')
  me(@Req() request: { user: AuthenticatedUser }): { userId: number } {
    return { userId: request.user.userId };
  }
}

/** The name of an API-key strategy the module's is composed with. */
const API_KEY_STRATEGY = 'passport-guard-test-api-key';
const API_KEY = 'a key of the test client';

/** Passes a request that sends `X-Api-Key: API_KEY`, fails any other. */
passport.use(API_KEY_STRATEGY, {
  authenticate(
    this: { success(user: unknown): void; fail(): void },
    request: { headers: Record<string, string | undefined> },
  ) {
    if (request.headers['x-api-key'] === API_KEY) this.success({ userId: -1 });
    else this.fail();
  },
} as passport.Strategy);

/** Composed with an API-key strategy, the module's last, as the README says. */
@Controller()
class ComposedController {
  @UseGuards(AuthGuard([API_KEY_STRATEGY, JWT_AUTH_STRATEGY]))
  @Get('me')
  me(@Req() request: { user: { userId: number } }): { userId: number } {
    return { userId: request.user.userId };
  }
}

/**
 * Starts the module and `controller` on `adapter` for the enclosing suite;
 * the app's port, once it listens.
 */
function serve(
  controller: Type,
  adapter: (typeof ADAPTERS)[number],
): () => number {
  let app: INestApplication;
  let port = 0;
  beforeAll(async () => {
    app = await startApp(
      {
        imports: [JwtAuthModule.forRoot({ secret, realm })],
        controllers: [controller],
      },
      adapter,
    );
    port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
  });
  return () => port;
}

/** Every hostile case at `GET /me`, answered as `JwtAuthGuard` answers it. */
function itAnswersHostileCases(title: string, port: () => number): void {
  it.each(cases.map((c) => [c.label, c] as const))(
    title,
    async (_label, hostile) => {
      const response = await rawGet(
        port(),
        hostile.path ?? '/me',
        hostile.headers,
      );
      if (hostile.expect.status === 401) {
        expectRawRefusal(response, realm, hostile.expect.reason);
      } else {
        expect(response.status).toBe(hostile.expect.status);
        expect(response.body).not.toContain('userId');
      }
    },
  );
}

function itAnswersValidTokens(port: () => number): void {
  it.each(validCases(secret).map((c) => [c.label, c] as const))(
    'answers a valid token with its exact user id: %s',
    async (_label, valid) => {
      const response = await rawGet(port(), '/me', valid.headers);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ userId: valid.userId });
    },
  );
}

describe.each(ADAPTERS)(
  'AuthGuard([api key, JWT_AUTH_STRATEGY]) (%s)',
  (adapter) => {
    const port = serve(ComposedController, adapter);

    it('passes a request with the API key, without a token', async () => {
      const response = await rawGet(port(), '/me', [`X-Api-Key: ${API_KEY}`]);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ userId: -1 });
    });

    itAnswersValidTokens(port);
    itAnswersHostileCases(
      'refuses as JwtAuthGuard does without the API key: %s',
      port,
    );
  },
);

describe.each(ADAPTERS)(
  'AuthGuard(JWT_AUTH_STRATEGY) against hostile requests (%s)',
  (adapter) => {
    const port = serve(PassportController, adapter);

    itAnswersHostileCases('answers as JwtAuthGuard does: %s', port);
    itAnswersValidTokens(port);
  },
);
