import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  JwtAuthModule,
  MemoryRevocationStore,
  RedisRevocationStore,
  TokenService,
  type JwtAuthModuleOptions,
  type RevocationStore,
} from '../src/jwt-auth/index.js';
import {
  ADAPTERS,
  expectRefusal,
  expectUnavailable,
  http,
  startApp,
} from './support/app.js';
import { AccountController } from './support/account.controller.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { describeNeeding } from './support/describe-needing.js';
import { nowSeconds } from './support/jws.js';
import {
  redisClusterUnavailableReason,
  redisUnavailableReason,
  startTestRedis,
  startTestRedisCluster,
  type TestRedis,
  type TestRedisCluster,
} from './support/redis.js';
import { revocationStoreContract } from './support/revocation-store.contract.js';

const REVOKED = 'The access token has been revoked';

function appWith(
  options: Partial<JwtAuthModuleOptions>,
  adapter: (typeof ADAPTERS)[number],
  logger?: CapturingLogger,
) {
  return startApp(
    {
      imports: [
        JwtAuthModule.forRoot({
          secret: randomBytes(32).toString('base64url'),
          globalGuard: true,
          ...options,
        }),
      ],
      controllers: [AccountController],
    },
    adapter,
    logger ?? false,
  );
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * `GET /me` with the token, asked again until it is no longer a 200, for
 * two seconds at most: another instance's mirror hears of a revocation
 * through the feed, a moment after the write.
 */
async function meOnceRefused(app: INestApplication, token: string) {
  const started = Date.now();
  for (;;) {
    const response = await http(app).get('/me').set(bearer(token));
    if (response.status !== 200 || Date.now() - started > 2000) return response;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('MemoryRevocationStore', () => {
  revocationStoreContract(() => new MemoryRevocationStore(1000));

  it.each(ADAPTERS)(
    'lets another user log out after one user logged out many times (%s)',
    async (adapter) => {
      const app = await appWith({ revocation: { maxEntries: 5 } }, adapter);
      try {
        const tokens = app.get(TokenService);
        const loggedOut: string[] = [];
        for (let i = 0; i < 40; i++) {
          // Through the service: a token issued in the second of a fold is
          // refused already, and its logout over HTTP would be a 401.
          const token = await tokens.sign({ sub: 1 });
          await tokens.revoke(token);
          loggedOut.push(token);
        }
        const other = await tokens.sign({ sub: 2 });
        expect(
          (await http(app).post('/logout').set(bearer(other))).status,
        ).toBe(204);
        for (const token of [...loggedOut, other])
          expectRefusal(
            await http(app).get('/me').set(bearer(token)),
            'api',
            REVOKED,
          );
      } finally {
        await app.close();
      }
    },
  );
});

describe.each(ADAPTERS)(
  'revocation with the in-memory store (%s)',
  (adapter) => {
    let app: INestApplication;
    let tokens: TokenService;

    beforeAll(async () => {
      app = await appWith({}, adapter);
      tokens = app.get(TokenService);
    });

    afterAll(async () => {
      await app.close();
    });

    it('refuses a token once logged out, even one already verified and cached', async () => {
      const token = await tokens.sign({ sub: 5 });
      const other = await tokens.sign({ sub: 5 });
      // Three times: the cache keeps the token from its second request on,
      // and serves the third.
      for (let sighting = 0; sighting < 3; sighting++) {
        expect((await http(app).get('/me').set(bearer(token))).status).toBe(
          200,
        );
      }
      expect((await http(app).post('/logout').set(bearer(token))).status).toBe(
        204,
      );
      expectRefusal(
        await http(app).get('/me').set(bearer(token)),
        'api',
        REVOKED,
      );
      await expect(tokens.verify(token)).rejects.toMatchObject({
        code: 'token_revoked',
      });
      // Another token of the same user is untouched.
      expect((await http(app).get('/me').set(bearer(other))).status).toBe(200);
    });

    it('revokes a token given as its text', async () => {
      const token = await tokens.sign({ sub: 6 });
      await tokens.revoke(token);
      expectRefusal(
        await http(app).get('/me').set(bearer(token)),
        'api',
        REVOKED,
      );
      await expect(tokens.revoke('not-a-token')).rejects.toMatchObject({
        code: 'token_malformed',
      });
    });

    it('logs a user out everywhere: tokens issued until then are refused, later ones accepted', async () => {
      const before = [
        await tokens.sign({ sub: 7 }),
        await tokens.sign({ sub: 7 }),
      ];
      const someoneElse = await tokens.sign({ sub: 8 });
      await tokens.revokeAllForUser(7);
      for (const token of before)
        expectRefusal(
          await http(app).get('/me').set(bearer(token)),
          'api',
          REVOKED,
        );
      expect((await http(app).get('/me').set(bearer(someoneElse))).status).toBe(
        200,
      );
      // iat has a resolution of a second: a token from the next second is new.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const after = await tokens.sign({ sub: 7 });
      expect((await http(app).get('/me').set(bearer(after))).body).toEqual({
        userId: 7,
      });
    });
  },
);

/**
 * A store that cannot answer: it fails, throws at once, never answers, or
 * answers with a thenable that never settles.
 */
const brokenStore = (
  mode: 'fails' | 'throws' | 'hangs' | 'stalls',
): RevocationStore => ({
  revokeToken: () => Promise.reject(new Error('connection refused')),
  revokeUser: () => Promise.resolve(),
  lookup: () => {
    if (mode === 'throws') throw new Error('connection refused');
    return mode === 'fails'
      ? Promise.reject(new Error('connection refused'))
      : mode === 'hangs'
        ? new Promise(() => undefined)
        : ({ then: () => undefined } as unknown as Promise<never>);
  },
});

describe.each(ADAPTERS)(
  'when the revocation store cannot answer (%s)',
  (adapter) => {
    it.each(['fails', 'throws', 'hangs', 'stalls'] as const)(
      'fails closed when it %s: 503 with Retry-After, within the timeout',
      async (mode) => {
        const app = await appWith(
          { revocation: { store: brokenStore(mode), timeout: 100 } },
          adapter,
        );
        try {
          const token = await app.get(TokenService).sign({ sub: 1 });
          const started = Date.now();
          const response = await http(app).get('/me').set(bearer(token));
          expect(Date.now() - started).toBeLessThan(1000);
          expectUnavailable(response);
          // Still up: an open route and a missing token answer as usual.
          expectRefusal(await http(app).get('/me'), 'api');
        } finally {
          await app.close();
        }
      },
    );

    it.each(['fails', 'throws'] as const)(
      'fails open when asked to and it %s, logging each decision',
      async (mode) => {
        const logger = new CapturingLogger();
        const app = await appWith(
          { revocation: { store: brokenStore(mode), failOpen: true } },
          adapter,
          logger,
        );
        try {
          const token = await app.get(TokenService).sign({ sub: 3 });
          for (let i = 0; i < 2; i++) {
            expect(
              (await http(app).get('/me').set(bearer(token))).body,
            ).toEqual({
              userId: 3,
            });
          }
          const decisions = logger.entries.filter((entry) =>
            entry.message.includes('revocation.failOpen'),
          );
          expect(decisions.map((entry) => entry.level)).toEqual([
            'warn',
            'warn',
          ]);
          // Why, so that an operator can act on it.
          for (const decision of decisions)
            expect(decision.message).toContain('connection refused');
        } finally {
          await app.close();
        }
      },
    );
  },
);

describeNeeding(
  'revocation with Redis',
  { needs: 'a Redis server', reason: redisUnavailableReason() },
  () => {
    let redis: TestRedis;
    let client: Redis;
    const keyPrefix = `jwt-auth-test:${randomUUID()}:`;

    beforeAll(async () => {
      redis = await startTestRedis();
      client = new Redis(redis.url);
    });

    afterAll(async () => {
      client.disconnect();
      await redis.stop().catch(() => undefined);
    });

    describe('RedisRevocationStore', () => {
      revocationStoreContract(
        () => new RedisRevocationStore(client, keyPrefix),
      );
    });

    describe.each(
      ADAPTERS.flatMap((adapter) =>
        [true, false].map((mirror) => ({ adapter, mirror })),
      ),
    )(
      'two instances sharing one Redis ($adapter, mirror: $mirror)',
      ({ adapter, mirror }) => {
        const secret = randomBytes(32).toString('base64url');
        const apps: INestApplication[] = [];

        beforeAll(async () => {
          for (let i = 0; i < 2; i++) {
            apps.push(
              await appWith(
                {
                  secret,
                  revocation: { redis: { url: redis.url, keyPrefix, mirror } },
                },
                adapter,
              ),
            );
          }
        });

        afterAll(async () => {
          await Promise.all(apps.map((app) => app.close()));
        });

        it('refuses on one instance a token logged out on the other', async () => {
          const token = await apps[0].get(TokenService).sign({ sub: 11 });
          for (const app of apps)
            expect((await http(app).get('/me').set(bearer(token))).status).toBe(
              200,
            );
          expect(
            (await http(apps[0]).post('/logout').set(bearer(token))).status,
          ).toBe(204);
          // At once where it was written.
          expectRefusal(
            await http(apps[0]).get('/me').set(bearer(token)),
            'api',
            REVOKED,
          );
          for (const app of apps)
            expectRefusal(await meOnceRefused(app, token), 'api', REVOKED);
        });

        it('logs a user out everywhere from either instance', async () => {
          const token = await apps[1].get(TokenService).sign({ sub: 12 });
          await apps[1].get(TokenService).revokeAllForUser(12);
          for (const app of apps)
            expectRefusal(await meOnceRefused(app, token), 'api', REVOKED);
        });
      },
    );

    (process.env.REDIS_URL ? describe.skip : describe)(
      'Redis going away and coming back',
      () => {
        it.each(ADAPTERS)(
          'asking Redis on every check, answers 503 at the timeout while it is frozen, and 200 once it thaws (%s)',
          async (adapter) => {
            const app = await appWith(
              {
                revocation: {
                  redis: { url: redis.url, keyPrefix, mirror: false },
                  timeout: 200,
                },
              },
              adapter,
            );
            try {
              const token = await app.get(TokenService).sign({ sub: 22 });
              expect(
                (await http(app).get('/me').set(bearer(token))).status,
              ).toBe(200);
              redis.pause();
              try {
                const started = Date.now();
                const response = await http(app).get('/me').set(bearer(token));
                const elapsed = Date.now() - started;
                expect(response.status).toBe(503);
                expect(elapsed).toBeGreaterThanOrEqual(190);
                expect(elapsed).toBeLessThan(1000);
              } finally {
                redis.resume();
              }
              let status = 0;
              for (
                let waited = 0;
                waited < 10_000 && status !== 200;
                waited += 200
              ) {
                await new Promise((resolve) => setTimeout(resolve, 200));
                status = (await http(app).get('/me').set(bearer(token))).status;
              }
              expect(status).toBe(200);
            } finally {
              await app.close();
            }
          },
          30_000,
        );

        it.each(
          ADAPTERS.flatMap((adapter) =>
            [true, false].map((mirror) => ({ adapter, mirror })),
          ),
        )(
          'answers 503 within the bound while it is down, and 200 again once it is back ($adapter, mirror: $mirror)',
          async ({ adapter, mirror }) => {
            const app = await appWith(
              {
                revocation: {
                  redis: { url: redis.url, keyPrefix, mirror },
                  timeout: 250,
                },
              },
              adapter,
            );
            try {
              const token = await app.get(TokenService).sign({ sub: 21 });
              expect(
                (await http(app).get('/me').set(bearer(token))).status,
              ).toBe(200);

              await redis.stop();
              for (let i = 0; i < 5; i++) {
                const started = Date.now();
                const response = await http(app).get('/me').set(bearer(token));
                expect(Date.now() - started).toBeLessThan(1000);
                expectUnavailable(response);
              }
              expect((await http(app).get('/me')).status).toBe(401);

              await redis.start();
              let status = 0;
              for (
                let waited = 0;
                waited < 10_000 && status !== 200;
                waited += 200
              ) {
                await new Promise((resolve) => setTimeout(resolve, 200));
                status = (await http(app).get('/me').set(bearer(token))).status;
              }
              expect(status).toBe(200);
            } finally {
              await app.close();
            }
          },
          30_000,
        );
      },
    );
  },
);

describeNeeding(
  'revocation with a Redis Cluster',
  { needs: 'a Redis server', reason: redisClusterUnavailableReason() },
  () => {
    let cluster: TestRedisCluster;
    let client: Cluster;
    const keyPrefix = `jwt-auth-test:${randomUUID()}:`;

    beforeAll(async () => {
      cluster = await startTestRedisCluster();
      client = new Cluster([cluster.node]);
    }, 30_000);

    afterAll(async () => {
      client.disconnect();
      await cluster.stop();
    });

    describe('RedisRevocationStore through a cluster client', () => {
      revocationStoreContract(
        () => new RedisRevocationStore(client, keyPrefix),
      );

      it.each([keyPrefix, `jwt-auth-test:{${randomUUID()}}:`])(
        'revokes then finds a token and a user with the key prefix %s',
        async (prefix) => {
          const store = new RedisRevocationStore(client, prefix);
          const now = nowSeconds();
          await store.revokeToken('jti:cluster', 31, now, now + 60);
          await store.revokeUser(31, now - 10, now + 60);
          expect(await store.lookup('jti:cluster', 31)).toEqual({
            tokenRevoked: true,
            userRevokedAt: now - 10,
          });
          expect(await store.lookup('jti:other', 32)).toEqual({
            tokenRevoked: false,
            userRevokedAt: undefined,
          });
        },
      );
    });

    describe.each(ADAPTERS)('an application on the cluster (%s)', (adapter) => {
      const secret = randomBytes(32).toString('base64url');
      const apps: INestApplication[] = [];

      beforeAll(async () => {
        // One by URL (the module's own connection to the node), one through
        // the application's cluster client.
        apps.push(
          await appWith(
            { secret, revocation: { redis: { url: cluster.url, keyPrefix } } },
            adapter,
          ),
          await appWith(
            { secret, revocation: { redis: { client, keyPrefix } } },
            adapter,
          ),
        );
      });

      afterAll(async () => {
        await Promise.all(apps.map((app) => app.close()));
      });

      it('accepts a token, then refuses it everywhere once logged out', async () => {
        const token = await apps[0].get(TokenService).sign({ sub: 33 });
        for (const app of apps)
          expect((await http(app).get('/me').set(bearer(token))).body).toEqual({
            userId: 33,
          });
        expect(
          (await http(apps[1]).post('/logout').set(bearer(token))).status,
        ).toBe(204);
        expectRefusal(
          await http(apps[1]).get('/me').set(bearer(token)),
          'api',
          REVOKED,
        );
        for (const app of apps)
          expectRefusal(await meOnceRefused(app, token), 'api', REVOKED);
      });

      it('logs a user out everywhere', async () => {
        const token = await apps[1].get(TokenService).sign({ sub: 34 });
        await apps[0].get(TokenService).revokeAllForUser(34);
        for (const app of apps)
          expectRefusal(await meOnceRefused(app, token), 'api', REVOKED);
      });
    });
  },
);
