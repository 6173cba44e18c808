import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  INVALID_TOKEN_DESCRIPTIONS,
  JwtAuthGuard,
  JwtAuthModule,
  MemoryRevocationStore,
  OptionalAuth,
  OptionalUser,
  Public,
  RequireScopes,
  TokenService,
  type RevocationStore,
} from '../src/jwt-auth/index.js';
import {
  ADAPTERS,
  expectForbidden,
  expectRawRefusal,
  expectRefusal,
  expectUnavailable,
  http,
  startApp,
} from './support/app.js';
import { hostileCases } from './support/hostile-cases.js';
import { forgeToken, nowSeconds } from './support/jws.js';
import { rawGet } from './support/raw-http.js';
import { BAD_TOKENS } from './support/token-cases.js';

/** Bounded and reproducible, like the other property suites. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261125);

const secret = randomBytes(32).toString('base64url');
const realm = 'scopes';

/** The scopes the property routes are built from, each subset a route. */
const UNIVERSE = ['read', 'write', 'orders:read', 'admin'] as const;
const maskOf = (scopes: readonly string[]): number =>
  UNIVERSE.reduce(
    (mask, scope, bit) => (scopes.includes(scope) ? mask | (1 << bit) : mask),
    0,
  );
const scopesOf = (mask: number): string[] =>
  UNIVERSE.filter((_scope, bit) => (mask & (1 << bit)) !== 0);

/**
 * The routes under test, guarded by the global guard or, with `useGuards`,
 * by `@UseGuards(JwtAuthGuard)` on each controller.
 */
function controllers(useGuards: boolean): Array<new () => unknown> {
  const guarded = (target: new () => unknown) => {
    if (useGuards) UseGuards(JwtAuthGuard)(target);
    return target;
  };

  @Controller()
  class AccountController {
    @OptionalAuth()
    @Get('optional')
    optional(@OptionalUser() userId: number | undefined): object {
      return userId === undefined ? { anonymous: true } : { userId };
    }

    @RequireScopes('orders:read')
    @Get('orders')
    orders(): { orders: string[] } {
      return { orders: ['tea'] };
    }

    @RequireScopes('orders:read', 'orders:write')
    @Get('orders/write')
    writeOrders(): { written: true } {
      return { written: true };
    }
  }

  /** Opening decorators on the class never drop a handler's scopes. */
  @Public()
  @Controller('catalogue')
  class CatalogueController {
    @Get()
    list(): { items: string[] } {
      return { items: ['tea'] };
    }

    @OptionalAuth()
    @Get('mine')
    mine(@OptionalUser() userId: number | undefined): object {
      return { userId: userId ?? null };
    }

    @RequireScopes('admin')
    @Get('admin')
    admin(): { admin: true } {
      return { admin: true };
    }
  }

  /** One route per non-empty subset of UNIVERSE, at /subset/<mask>. */
  class SubsetController {}
  for (let mask = 1; mask < 1 << UNIVERSE.length; mask++) {
    const name = `subset${mask}`;
    const descriptor: PropertyDescriptor = {
      value: () => ({ mask }),
      writable: true,
      configurable: true,
    };
    Object.defineProperty(SubsetController.prototype, name, descriptor);
    RequireScopes(...scopesOf(mask))(
      SubsetController.prototype,
      name,
      descriptor,
    );
    Get(String(mask))(SubsetController.prototype, name, descriptor);
  }
  Controller('subset')(SubsetController);

  return [AccountController, CatalogueController, SubsetController].map(
    guarded,
  );
}

/** The in-memory store, made to fail on demand. */
class SwitchableStore implements RevocationStore {
  failing = false;
  private readonly memory = new MemoryRevocationStore(1000);

  revokeToken(
    ...args: Parameters<RevocationStore['revokeToken']>
  ): Promise<void> {
    return this.memory.revokeToken(...args);
  }

  revokeUser(
    ...args: Parameters<RevocationStore['revokeUser']>
  ): Promise<void> {
    return this.memory.revokeUser(...args);
  }

  async lookup(tokenId: string, userId: number) {
    if (this.failing) throw new Error('connection refused');
    return this.memory.lookup(tokenId, userId);
  }
}

/** Whether raw header lines hold an `Authorization` field. */
const hasAuthorizationLine = (headers: ReadonlyArray<string | Buffer>) =>
  headers.some((line) => /^authorization:/i.test(line.toString('latin1')));

describe.each(
  ADAPTERS.flatMap((adapter) => [
    { adapter, guard: 'globalGuard' as const },
    { adapter, guard: 'UseGuards' as const },
  ]),
)(
  'optional authentication and scopes ($guard, $adapter)',
  ({ adapter, guard }) => {
    let app: INestApplication;
    let tokens: TokenService;
    const store = new SwitchableStore();
    const sign = (sub: number, scope?: string) =>
      tokens.sign(scope === undefined ? { sub } : { sub, scope });
    const get = (path: string, token?: string) => {
      const call = http(app).get(path);
      return token === undefined
        ? call
        : call.set('Authorization', `Bearer ${token}`);
    };

    beforeAll(async () => {
      app = await startApp(
        {
          imports: [
            JwtAuthModule.forRoot({
              secret,
              realm,
              revocation: { store, timeout: 100 },
              globalGuard: guard === 'globalGuard',
            }),
          ],
          controllers: controllers(guard === 'UseGuards'),
        },
        adapter,
      );
      tokens = app.get(TokenService);
    });

    afterAll(async () => {
      await app.close();
    });

    describe('an @OptionalAuth() route', () => {
      it('answers a request without an Authorization header anonymously', async () => {
        const response = await get('/optional');
        expect({
          status: response.status,
          body: response.body as unknown,
        }).toEqual({ status: 200, body: { anonymous: true } });
        expect(response.headers['www-authenticate']).toBeUndefined();
      });

      it('sees the user of a valid token, user 0 included', async () => {
        for (const userId of [0, 17]) {
          const response = await get('/optional', await sign(userId));
          expect({
            status: response.status,
            body: response.body as unknown,
          }).toEqual({ status: 200, body: { userId } });
        }
      });

      it.each(BAD_TOKENS.map((bad) => [bad.label, bad] as const))(
        'refuses %s with the exact challenge',
        async (_label, bad) => {
          expectRefusal(
            await get('/optional', bad.token(secret)),
            realm,
            INVALID_TOKEN_DESCRIPTIONS[bad.code],
          );
        },
      );

      it('refuses a revoked token rather than treat it as anonymous', async () => {
        const token = await sign(3);
        expect((await get('/optional', token)).status).toBe(200);
        await tokens.revoke(token);
        expectRefusal(
          await get('/optional', token),
          realm,
          'The access token has been revoked',
        );
      });

      it('answers 503 when the revocation store is down, and stays open to anonymous callers', async () => {
        const token = await sign(4);
        store.failing = true;
        try {
          expectUnavailable(await get('/optional', token));
          expect((await get('/optional')).status).toBe(200);
        } finally {
          store.failing = false;
        }
      });
    });

    describe('every hostile request on an @OptionalAuth() route', () => {
      let port: number;
      beforeAll(() => {
        port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
      });

      // The catalogue targets /me; here the same requests go to /optional.
      it.each(hostileCases(secret).map((c) => [c.label, c] as const))(
        '%s',
        async (_label, hostile) => {
          const path = (hostile.path ?? '/me').replace(/^\/me/, '/optional');
          const response = await rawGet(port, path, hostile.headers);
          if (hostile.expect.status !== 401) {
            expect(response.status).toBe(hostile.expect.status);
            expect(response.body).not.toContain('userId');
          } else if (!hasAuthorizationLine(hostile.headers)) {
            // A token in the query, a cookie or another header is not a credential.
            expect({
              status: response.status,
              body: JSON.parse(response.body) as unknown,
            }).toEqual({ status: 200, body: { anonymous: true } });
          } else {
            expectRawRefusal(response, realm, hostile.expect.reason);
          }
        },
      );
    });

    describe('a @RequireScopes() route', () => {
      it('lets a token with the scope through', async () => {
        const response = await get('/orders', await sign(5, 'orders:read'));
        expect({
          status: response.status,
          body: response.body as unknown,
        }).toEqual({ status: 200, body: { orders: ['tea'] } });
      });

      it.each([
        ['no scope claim', '/orders', undefined, 'orders:read'],
        ['other scopes', '/orders', 'read write', 'orders:read'],
        ['a scope differing in case', '/orders', 'Orders:Read', 'orders:read'],
        [
          'one scope of two',
          '/orders/write',
          'orders:read',
          'orders:read orders:write',
        ],
      ])(
        'refuses a token with %s: 403 and insufficient_scope',
        async (_label, path, scope, required) => {
          const response = await get(path, await sign(6, scope));
          expectForbidden(response, realm, required);
          expect(response.headers['content-type']).toMatch(
            /^application\/json/,
          );
        },
      );

      it.each([
        ['a number', 7],
        ['an array', ['orders:read']],
        ['a double space', 'read  orders:read'],
        ['a tab', 'read\torders:read'],
        ['a quote', 'orders:read "x"'],
      ])('grants no scope for a scope claim with %s', async (_label, scope) => {
        const token = forgeToken({
          payload: { sub: '8', exp: nowSeconds() + 600, scope },
          key: secret,
        });
        expectForbidden(await get('/orders', token), realm, 'orders:read');
        // The token itself is valid: an unscoped route takes it.
        expect((await get('/optional', token)).body).toEqual({ userId: 8 });
      });

      it('refuses a request without a token with the 401, not the 403', async () => {
        expectRefusal(await get('/orders'), realm);
      });

      it('refuses a bad token with the 401 before looking at scopes', async () => {
        expectRefusal(
          await get('/orders', 'a.b.c'),
          realm,
          'The access token is malformed',
        );
      });

      it('refuses a revoked token carrying the scope with the 401', async () => {
        const token = await sign(9, 'orders:read');
        await tokens.revoke(token);
        expectRefusal(
          await get('/orders', token),
          realm,
          'The access token has been revoked',
        );
      });
    });

    describe('in a @Public() controller', () => {
      it('leaves undecorated routes open', async () => {
        expect((await get('/catalogue')).status).toBe(200);
      });

      it('lets a handler make a route optional again', async () => {
        expect((await get('/catalogue/mine')).body).toEqual({ userId: null });
        expect((await get('/catalogue/mine', await sign(10))).body).toEqual({
          userId: 10,
        });
        expectRefusal(
          await get('/catalogue/mine', 'a.b.c'),
          realm,
          'The access token is malformed',
        );
      });

      it('still requires a token and the scope on a scoped handler', async () => {
        expectRefusal(await get('/catalogue/admin'), realm);
        expect((await get('/catalogue/admin', await sign(11))).status).toBe(
          403,
        );
        expect(
          (await get('/catalogue/admin', await sign(11, 'admin'))).status,
        ).toBe(200);
      });
    });

    it('passes a scoped route exactly when the required scopes are a subset of the granted ones', async () => {
      const scope = fc.constantFrom(...UNIVERSE, 'other', 'READ', 'read:all');
      await fc.assert(
        fc.asyncProperty(
          fc.subarray([...UNIVERSE], { minLength: 1 }),
          fc.array(scope, { maxLength: 6 }),
          async (required, granted) => {
            const token = await sign(
              12,
              granted.length === 0 ? undefined : granted.join(' '),
            );
            const mask = maskOf(required);
            const response = await get(`/subset/${mask}`, token);
            if (required.every((needed) => granted.includes(needed))) {
              expect({
                status: response.status,
                body: response.body as unknown,
              }).toEqual({ status: 200, body: { mask } });
            } else {
              expectForbidden(response, realm, scopesOf(mask).join(' '));
            }
          },
        ),
        { numRuns: RUNS, seed: SEED },
      );
    });
  },
);
