import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import passport from 'passport';
import { CapturingLogger } from '../../test/support/capturing-logger.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import { JwtAuthModule } from './jwt-auth.module.js';
import { JWT_AUTH_STRATEGY, JwtStrategy } from './jwt.strategy.js';
import { TokenService } from './token.service.js';

const secret = randomBytes(32).toString('base64url');

/** A request and a response, as far as the strategy reads them. */
function exchange(authorization?: string) {
  const request = {
    headers: authorization === undefined ? {} : { authorization },
  };
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string) => (headers[name] = value),
  };
  return { request, response, headers };
}

type Next = (error?: Error) => void;

/** What Passport's own middleware makes of a request with the module's strategy. */
function authenticate(
  request: object,
  response: object,
): Promise<AuthenticatedUser | Error> {
  return new Promise((resolve) => {
    const middleware = passport.authenticate(
      JWT_AUTH_STRATEGY,
      { session: false },
      (error: Error | null, user: AuthenticatedUser | false) =>
        resolve(error ?? (user === false ? new Error('no user') : user)),
    ) as (request: object, response: object, next: Next) => void;
    middleware(request, response, (error) =>
      resolve(error ?? new Error('next() called')),
    );
  });
}

describe('JwtStrategy', () => {
  let app: INestApplication;
  let strategy: JwtStrategy;
  let tokens: TokenService;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JwtAuthModule.forRoot({ secret, realm: 'unit' })],
    }).compile();
    app = await moduleRef.createNestApplication().init();
    strategy = app.get(JwtStrategy);
    tokens = app.get(TokenService);
  });

  afterAll(async () => {
    await app.close();
  });

  describe('claim() with the token the guard read', () => {
    it('has Passport verify that token, for the claimed request only, once', async () => {
      const claimed = exchange(`Bearer ${await tokens.sign({ sub: 1 })}`);
      const other = exchange(`Bearer ${await tokens.sign({ sub: 2 })}`);
      strategy.claim(
        claimed.request,
        claimed.response,
        await tokens.sign({ sub: 3 }),
      );

      // Another request is read as it is, whatever was handed over.
      await expect(
        authenticate(other.request, other.response),
      ).resolves.toMatchObject({ userId: 2 });
      // The claimed request gets the token handed over, not its header's...
      await expect(
        authenticate(claimed.request, claimed.response),
      ).resolves.toMatchObject({ userId: 3 });
      // ...once: a later authentication reads the header again.
      await expect(
        authenticate(claimed.request, claimed.response),
      ).resolves.toMatchObject({ userId: 1 });
    });

    it('refuses a request handed over without a token, whatever its header holds', async () => {
      const claimed = exchange(`Bearer ${await tokens.sign({ sub: 1 })}`);
      strategy.claim(claimed.request, claimed.response, null);
      const outcome = await authenticate(claimed.request, claimed.response);
      expect(outcome).toBeInstanceOf(Error);
      expect(claimed.headers['WWW-Authenticate']).toBe('Bearer realm="unit"');
    });
  });
});

describe('JwtStrategy with the keys of an identity provider', () => {
  it('logs, rather than leaves unhandled, a throw while answering after the key lookup', async () => {
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        JwtAuthModule.forRoot({
          issuer: 'http://127.0.0.1:9',
          audience: 'api',
          // Nothing listens there: the lookup fails, in a promise.
          jwks: { uri: 'http://127.0.0.1:9/jwks.json', timeout: 100 },
        }),
      ],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger }).init();
    try {
      const header = Buffer.from('{"alg":"RS256","kid":"k"}').toString(
        'base64url',
      );
      // A response already sent: setting the challenge throws.
      const response = {
        setHeader: () => {
          throw Object.assign(new Error('headers sent'), {
            code: 'ERR_HTTP_HEADERS_SENT',
          });
        },
      };
      const request = {
        headers: { authorization: `Bearer ${header}.e30.c2ln` },
        res: response,
      };
      const middleware = passport.authenticate(JWT_AUTH_STRATEGY, {
        session: false,
      }) as (request: object, response: object, next: Next) => void;
      middleware(request, response, () => undefined);
      const logged = () =>
        logger.text().includes('Answering a request failed: Error');
      for (let waited = 0; waited < 3000 && !logged(); waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(logged()).toBe(true);
    } finally {
      await app.close();
    }
  });
});
