import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { Cluster, Redis } from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  JwtAuthModule,
  MirroredRedisRevocationStore,
  RedisRevocationStore,
  RevocationUnavailableError,
  TokenService,
  type JwtAuthModuleOptions,
  type RevocationEntry,
} from '../src/jwt-auth/index.js';
import { parseFeedEntry } from '../src/jwt-auth/revocation/redis-revocation.store.js';
import {
  REVOCATION_STORE,
  type OwnedRevocationStore,
} from '../src/jwt-auth/revocation/revocation.service.js';
import {
  ADAPTERS,
  expectRefusal,
  expectUnavailable,
  http,
  startApp,
} from './support/app.js';
import { AccountController } from './support/account.controller.js';
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

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Asks `check` every 5 ms until it holds, for `within` ms at most; whether
 * it held. A mirror that cannot answer for a moment counts as not yet.
 */
async function until(
  check: () => boolean | Promise<boolean>,
  within = 5000,
): Promise<boolean> {
  const started = Date.now();
  for (;;) {
    try {
      if (await check()) return true;
    } catch (error) {
      if (!(error instanceof RevocationUnavailableError)) throw error;
    }
    if (Date.now() - started > within) return false;
    await sleep(5);
  }
}

/** The mirror's own answer, which it must give. */
function mirrored(
  store: MirroredRedisRevocationStore,
  tokenId: string,
  userId: number,
) {
  const state = store.lookupNow(tokenId, userId);
  if (state === undefined) throw new Error('the mirror did not answer');
  return state;
}

/** Whether the store's mirror answers checks now, rather than failing closed. */
function answers(store: {
  lookupNow(tokenId: string, userId: number): unknown;
}) {
  try {
    store.lookupNow('jti:probe', 0);
    return true;
  } catch (error) {
    if (error instanceof RevocationUnavailableError) return false;
    throw error;
  }
}

/** The app's mirror, to see from the test whether it answers. */
const mirrorOf = (app: INestApplication) =>
  app.get<OwnedRevocationStore>(REVOCATION_STORE)
    .store as MirroredRedisRevocationStore;

describeNeeding(
  'revocation with the Redis mirror',
  { needs: 'a Redis server', reason: redisUnavailableReason() },
  () => {
    let redis: TestRedis;
    let admin: Redis;
    const opened: { close(): void }[] = [];

    beforeAll(async () => {
      redis = await startTestRedis();
      admin = new Redis(redis.url);
    });

    afterAll(async () => {
      for (const each of opened) each.close();
      admin.disconnect();
      await redis.stop().catch(() => undefined);
    });

    /** A mirrored store on its own connections, in step. */
    async function mirrorStore(
      keyPrefix: string,
      options: { maxEntries?: number; maxStaleness?: number } = {},
    ): Promise<MirroredRedisRevocationStore> {
      const client = new Redis(redis.url);
      const store = new MirroredRedisRevocationStore(
        client,
        client.duplicate(),
        { keyPrefix, maxEntries: 1000, maxStaleness: 1000, ...options },
      );
      opened.push(store, { close: () => client.disconnect() });
      expect(await store.ready(5000)).toBe(true);
      return store;
    }

    function appWith(
      secret: string,
      keyPrefix: string,
      adapter: (typeof ADAPTERS)[number],
      redisOptions: { maxStaleness?: number } = {},
      options: Partial<JwtAuthModuleOptions> = {},
    ) {
      return startApp(
        {
          imports: [
            JwtAuthModule.forRoot({
              secret,
              globalGuard: true,
              revocation: {
                redis: { url: redis.url, keyPrefix, ...redisOptions },
              },
              ...options,
            }),
          ],
          controllers: [AccountController],
        },
        adapter,
      );
    }

    describe('MirroredRedisRevocationStore', () => {
      const keyPrefix = `jwt-auth-test:${randomUUID()}:`;
      let store: MirroredRedisRevocationStore;

      beforeAll(async () => {
        store = await mirrorStore(keyPrefix);
      });

      revocationStoreContract(() => store);

      it('hears of every revocation another instance writes, exactly as written, whatever the ids and times', async () => {
        const writer = new RedisRevocationStore(admin, keyPrefix);
        const tokenId = fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.string({ unit: 'grapheme', maxLength: 20 }),
          fc.constantFrom('', ':', '{user:1}:cutoff', '"]', '\\', '*?[a]'),
        );
        const userId = fc.oneof(
          fc.nat({ max: 1000 }),
          fc.constant(Number.MAX_SAFE_INTEGER),
          fc.maxSafeNat(),
        );
        await fc.assert(
          fc.asyncProperty(
            tokenId,
            userId,
            fc.option(
              fc.oneof(
                fc.integer({ min: 0, max: 2 ** 31 }),
                fc.double({ min: 0, max: 2 ** 31, noNaN: true }),
              ),
              { nil: undefined },
            ),
            async (id, user, issuedAt) => {
              const expiresAt = nowSeconds() + 60;
              await writer.revokeToken(id, user, issuedAt, expiresAt);
              expect(
                await until(() => mirrored(store, id, user).tokenRevoked),
              ).toBe(true);
              // Only that token of that user.
              expect(
                mirrored(store, `${id}:${randomUUID()}`, user).tokenRevoked,
              ).toBe(false);
            },
          ),
          { numRuns: 60 },
        );
        await fc.assert(
          fc.asyncProperty(
            userId,
            fc.integer({ min: 0, max: 2 ** 31 }),
            async (user, revokedAt) => {
              await writer.revokeUser(user, revokedAt, nowSeconds() + 60);
              expect(
                await until(
                  () =>
                    (mirrored(store, 'jti:any', user).userRevokedAt ?? -1) >=
                    revokedAt,
                ),
              ).toBe(true);
            },
          ),
          { numRuns: 30 },
        );
      });

      it('reads back exactly what the feed announces, and nothing from any other message', () => {
        const entry: fc.Arbitrary<RevocationEntry> = fc.oneof(
          fc.record({
            kind: fc.constant('token' as const),
            userId: fc.maxSafeNat(),
            tokenId: fc.string(),
            issuedAt: fc.option(
              // JSON has no -0: it reads back as 0, which is the same time.
              fc
                .double({ noNaN: true, noDefaultInfinity: true })
                .filter((time) => !Object.is(time, -0)),
              {
                nil: undefined,
              },
            ),
            expiresAt: fc.integer(),
          }),
          fc.record({
            kind: fc.constant('user' as const),
            userId: fc.maxSafeNat(),
            revokedAt: fc.integer(),
            expiresAt: fc.integer(),
          }),
        );
        fc.assert(
          fc.property(entry, (announced) => {
            const message =
              announced.kind === 'token'
                ? JSON.stringify([
                    'token',
                    announced.userId,
                    announced.tokenId,
                    announced.issuedAt ?? null,
                    announced.expiresAt,
                  ])
                : JSON.stringify([
                    'user',
                    announced.userId,
                    announced.revokedAt,
                    announced.expiresAt,
                  ]);
            expect(parseFeedEntry(message)).toEqual(announced);
          }),
        );
        fc.assert(
          fc.property(
            fc.oneof(
              fc.string(),
              fc.json(),
              fc
                .tuple(
                  fc.constantFrom('token', 'user', 'TOKEN', ''),
                  fc.anything(),
                  fc.anything(),
                  fc.anything(),
                )
                .map((parts) => JSON.stringify(parts)),
            ),
            (message) => {
              const entry = parseFeedEntry(message);
              if (entry !== undefined) {
                // Only a well-formed revocation is read as one.
                expect(Number.isSafeInteger(entry.userId)).toBe(true);
                expect(entry.userId).toBeGreaterThanOrEqual(0);
                expect(Number.isFinite(entry.expiresAt)).toBe(true);
              }
            },
          ),
        );
      });

      it('reads Redis again after what is not a revocation on the feed, and is in step again', async () => {
        const channel = `${keyPrefix}feed:0`;
        for (const junk of ['', 'null', '["token"]', '["user",-1,1,2]', '{']) {
          const user = 77_000 + junk.length;
          // Stored without a word on the feed: only a snapshot brings it.
          await admin.set(
            `${keyPrefix}{user:${user}}:token:jti:unannounced`,
            '',
            'EX',
            60,
          );
          await admin.publish(channel, junk);
          expect(
            await until(
              () =>
                mirrored(store, 'jti:unannounced', user).tokenRevoked === true,
            ),
          ).toBe(true);
        }
        expect(answers(store)).toBe(true);
      });

      it('reads at start only the keys of its own prefix, even one full of pattern characters', async () => {
        const odd = `jwt-auth-test:${randomUUID()}:*?[ab]\\:`;
        const now = nowSeconds();
        // A prefix the pattern would match too, were it not escaped.
        const lookalike = odd.replace('*?[ab]\\:', 'XYa:');
        await new RedisRevocationStore(admin, odd).revokeToken(
          'jti:own',
          5,
          now,
          now + 60,
        );
        await new RedisRevocationStore(admin, lookalike).revokeToken(
          'jti:other',
          5,
          now,
          now + 60,
        );
        // Which the pattern, unescaped, would read as its own.
        const [, unescaped] = await admin.scan(
          0,
          'MATCH',
          `${odd}{user:*}:*`,
          'COUNT',
          100_000,
        );
        expect(unescaped.some((key) => key.startsWith(lookalike))).toBe(true);
        const started = await mirrorStore(odd);
        expect(mirrored(started, 'jti:own', 5).tokenRevoked).toBe(true);
        expect(mirrored(started, 'jti:other', 5).tokenRevoked).toBe(false);
      });

      it("holds a user's many revoked tokens in one entry, and still refuses every one", async () => {
        const prefix = `jwt-auth-test:${randomUUID()}:`;
        const small = await mirrorStore(prefix, { maxEntries: 3 });
        const writer = new RedisRevocationStore(admin, prefix);
        const now = nowSeconds();
        const ids = Array.from({ length: 50 }, (_, i) => `jti:many-${i}`);
        for (const id of ids)
          await writer.revokeToken(id, 81, now - 5, now + 60);
        await writer.revokeUser(82, now, now + 60);
        await writer.revokeToken('jti:one', 83, now, now + 60);
        expect(
          await until(() => mirrored(small, 'jti:one', 83).tokenRevoked),
        ).toBe(true);
        // Three users in a mirror of three entries: the first user's tokens
        // folded into a cutoff at their latest iat, which covers them all.
        for (const id of ids) {
          const state = mirrored(small, id, 81);
          expect(state.tokenRevoked || state.userRevokedAt === now - 5).toBe(
            true,
          );
        }
        expect(mirrored(small, 'jti:any', 82).userRevokedAt).toBe(now);
        expect(answers(small)).toBe(true);
      });

      it('asks Redis, rather than miss a revocation, when one does not fit', async () => {
        const prefix = `jwt-auth-test:${randomUUID()}:`;
        const small = await mirrorStore(prefix, { maxEntries: 2 });
        const writer = new RedisRevocationStore(admin, prefix);
        const now = nowSeconds();
        for (const user of [1, 2]) await writer.revokeUser(user, now, now + 60);
        expect(
          await until(
            () => mirrored(small, 'jti:any', 2).userRevokedAt === now,
          ),
        ).toBe(true);
        // A third user's cutoff does not fit beside two others.
        await writer.revokeUser(3, now, now + 60);
        expect(
          await until(() => small.lookupNow('jti:any', 3) === undefined),
        ).toBe(true);
        for (const user of [1, 2, 3])
          expect((await small.lookup('jti:any', user)).userRevokedAt).toBe(now);
        expect(
          (await small.lookup('jti:any', 4)).userRevokedAt,
        ).toBeUndefined();
      });
    });

    describe.each(ADAPTERS)('instances with a mirror (%s)', (adapter) => {
      const secret = randomBytes(32).toString('base64url');
      const keyPrefix = `jwt-auth-test:${randomUUID()}:`;
      const apps: INestApplication[] = [];

      beforeAll(async () => {
        for (let i = 0; i < 2; i++)
          apps.push(await appWith(secret, keyPrefix, adapter));
      });

      afterAll(async () => {
        await Promise.all(apps.map((app) => app.close()));
      });

      it('refuses, in an instance started after a logout, the token logged out', async () => {
        const token = await apps[0].get(TokenService).sign({ sub: 42 });
        expect(
          (await http(apps[0]).post('/logout').set(bearer(token))).status,
        ).toBe(204);
        await apps[0].get(TokenService).revokeAllForUser(43);
        const later = await appWith(secret, keyPrefix, adapter);
        try {
          expectRefusal(
            await http(later).get('/me').set(bearer(token)),
            'api',
            REVOKED,
          );
          const other = await apps[1].get(TokenService).sign({ sub: 44 });
          expect((await http(later).get('/me').set(bearer(other))).status).toBe(
            200,
          );
        } finally {
          await later.close();
        }
      });
    });

    (process.env.REDIS_URL ? describe.skip : describe)(
      'the feed failing',
      () => {
        it.each(ADAPTERS)(
          'answers from memory: a key written without the feed goes unseen until the feed is cut, then 503 until the mirror has read Redis again (%s)',
          async (adapter) => {
            const keyPrefix = `jwt-auth-test:${randomUUID()}:`;
            const app = await appWith(
              randomBytes(32).toString('base64url'),
              keyPrefix,
              adapter,
            );
            try {
              const token = await app.get(TokenService).sign({ sub: 41 });
              const { jti } = JSON.parse(
                Buffer.from(token.split('.')[1], 'base64url').toString(),
              ) as { jti: string };
              // As a message lost on the way would leave it: in Redis, not heard of.
              await admin.set(
                `${keyPrefix}{user:41}:token:jti:${jti}`,
                '',
                'EX',
                60,
              );
              expect(
                (await http(app).get('/me').set(bearer(token))).status,
              ).toBe(200);

              // The feed connection cut: the instance refuses to answer from its
              // mirror until it has read Redis again, then refuses the token.
              const mirror = mirrorOf(app);
              await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
              expect(await until(() => !answers(mirror))).toBe(true);
              const statuses = new Set<number>();
              let response = await http(app).get('/me').set(bearer(token));
              for (let i = 0; i < 1000 && response.status !== 401; i++) {
                statuses.add(response.status);
                if (response.status === 503) expectUnavailable(response);
                await sleep(5);
                response = await http(app).get('/me').set(bearer(token));
              }
              expect([...statuses].filter((status) => status !== 503)).toEqual(
                [],
              );
              expectRefusal(response, 'api', REVOKED);
              expect(answers(mirror)).toBe(true);
            } finally {
              await app.close();
            }
          },
          30_000,
        );

        it.each(ADAPTERS)(
          'fails closed within maxStaleness of a feed gone silent, and answers again once it speaks (%s)',
          async (adapter) => {
            const app = await appWith(
              randomBytes(32).toString('base64url'),
              `jwt-auth-test:${randomUUID()}:`,
              adapter,
              { maxStaleness: 200 },
            );
            try {
              const token = await app.get(TokenService).sign({ sub: 51 });
              expect(
                (await http(app).get('/me').set(bearer(token))).status,
              ).toBe(200);
              redis.pause();
              let silentFor: number;
              try {
                const paused = Date.now();
                expect(await until(() => !answers(mirrorOf(app)), 2000)).toBe(
                  true,
                );
                silentFor = Date.now() - paused;
                expectUnavailable(
                  await http(app).get('/me').set(bearer(token)),
                );
              } finally {
                redis.resume();
              }
              // Within maxStaleness (200 ms) of the last proof, give or take
              // a busy machine.
              expect(silentFor).toBeLessThan(1000);
              // Each answer needs a proof under 200 ms old, which a busy
              // machine may let lapse between two requests: one 200 shows
              // the mirror answers again.
              expect(
                await until(
                  async () =>
                    (await http(app).get('/me').set(bearer(token))).status ===
                    200,
                  20_000,
                ),
              ).toBe(true);
            } finally {
              await app.close();
            }
          },
          30_000,
        );

        it.each(ADAPTERS)(
          'keeps every revocation through a Redis restart that lost them, and hears the new ones (%s)',
          async (adapter) => {
            const secret = randomBytes(32).toString('base64url');
            const keyPrefix = `jwt-auth-test:${randomUUID()}:`;
            const apps = [
              await appWith(secret, keyPrefix, adapter),
              await appWith(secret, keyPrefix, adapter),
            ];
            try {
              const tokens = apps[0].get(TokenService);
              const before = await tokens.sign({ sub: 61 });
              const after = await tokens.sign({ sub: 62 });
              expect(
                (await http(apps[0]).post('/logout').set(bearer(before)))
                  .status,
              ).toBe(204);
              for (const app of apps)
                expect(
                  await until(
                    async () =>
                      (await http(app).get('/me').set(bearer(before)))
                        .status === 401,
                  ),
                ).toBe(true);

              // Without persistence, Redis comes back empty.
              await redis.stop();
              for (const app of apps) {
                expect(await until(() => !answers(mirrorOf(app)))).toBe(true);
                expectUnavailable(
                  await http(app).get('/me').set(bearer(after)),
                );
              }
              await redis.start();
              for (const app of apps)
                expect(await until(() => answers(mirrorOf(app)), 20_000)).toBe(
                  true,
                );

              for (const app of apps) {
                expectRefusal(
                  await http(app).get('/me').set(bearer(before)),
                  'api',
                  REVOKED,
                );
                expect(
                  (await http(app).get('/me').set(bearer(after))).status,
                ).toBe(200);
              }
              expect(
                (await http(apps[1]).post('/logout').set(bearer(after))).status,
              ).toBe(204);
              expect(
                await until(
                  async () =>
                    (await http(apps[0]).get('/me').set(bearer(after)))
                      .status === 401,
                ),
              ).toBe(true);
            } finally {
              await Promise.all(apps.map((app) => app.close()));
            }
          },
          60_000,
        );
      },
    );
  },
);

describeNeeding(
  'the Redis mirror on a cluster of three masters',
  { needs: 'a Redis server', reason: redisClusterUnavailableReason() },
  () => {
    let cluster: TestRedisCluster;
    let client: Cluster;

    beforeAll(async () => {
      cluster = await startTestRedisCluster(3);
      client = new Cluster([cluster.node]);
    }, 60_000);

    afterAll(async () => {
      client.disconnect();
      await cluster.stop();
    });

    /** A user whose keys live on each master, in the masters' order. */
    async function usersOnEachMaster(keyPrefix: string): Promise<number[]> {
      const ranges = (
        (await client.call('CLUSTER', 'SLOTS')) as [
          number,
          number,
          [string, number],
        ][]
      ).map(([start, end, [, port]]) => ({ start, end, port }));
      const users: number[] = [];
      for (const { port } of cluster.nodes) {
        for (let user = 1; ; user++) {
          const slot = Number(
            await client.call(
              'CLUSTER',
              'KEYSLOT',
              `${keyPrefix}{user:${user}}`,
            ),
          );
          const owner = ranges.find(
            ({ start, end }) => start <= slot && slot <= end,
          );
          if (owner?.port === port && !users.includes(user)) {
            users.push(user);
            break;
          }
        }
      }
      return users;
    }

    function appOnCluster(
      secret: string,
      keyPrefix: string,
      adapter: (typeof ADAPTERS)[number],
    ) {
      return startApp(
        {
          imports: [
            JwtAuthModule.forRoot({
              secret,
              globalGuard: true,
              revocation: { redis: { client, keyPrefix } },
            }),
          ],
          controllers: [AccountController],
        },
        adapter,
      );
    }

    it.each(ADAPTERS)(
      "refuses, from each instance's mirror, what was revoked on any master, and so does an instance started later (%s)",
      async (adapter) => {
        const secret = randomBytes(32).toString('base64url');
        const keyPrefix = `jwt-auth-test:${randomUUID()}:`;
        const apps = [
          await appOnCluster(secret, keyPrefix, adapter),
          await appOnCluster(secret, keyPrefix, adapter),
        ];
        try {
          for (const app of apps)
            expect(await until(() => answers(mirrorOf(app)), 10_000)).toBe(
              true,
            );
          // Each instance listens on every master: a node counts only its
          // own subscribers.
          for (const { port } of cluster.nodes) {
            const node = new Redis(`redis://127.0.0.1:${port}`);
            try {
              expect(
                await node.call('PUBSUB', 'NUMSUB', `${keyPrefix}feed:0`),
              ).toEqual([`${keyPrefix}feed:0`, 2]);
            } finally {
              node.disconnect();
            }
          }
          const users = await usersOnEachMaster(keyPrefix);
          const tokens: string[] = [];
          for (const [i, user] of users.entries()) {
            const token = await apps[0].get(TokenService).sign({ sub: user });
            tokens.push(token);
            expect(
              (
                await http(apps[i % 2])
                  .post('/logout')
                  .set(bearer(token))
              ).status,
            ).toBe(204);
          }
          for (const app of apps) {
            for (const token of tokens) {
              expect(
                await until(
                  async () =>
                    (await http(app).get('/me').set(bearer(token))).status ===
                    401,
                ),
              ).toBe(true);
            }
            // Answered by the mirror itself, not by asking Redis.
            expect(
              await until(
                () =>
                  mirrorOf(app).lookupNow('jti:probe', users[0]) !== undefined,
              ),
            ).toBe(true);
          }
          const later = await appOnCluster(secret, keyPrefix, adapter);
          try {
            expect(await until(() => answers(mirrorOf(later)), 10_000)).toBe(
              true,
            );
            expect(
              await until(
                () =>
                  mirrorOf(later).lookupNow('jti:probe', users[0]) !==
                  undefined,
              ),
            ).toBe(true);
            for (const token of tokens)
              expectRefusal(
                await http(later).get('/me').set(bearer(token)),
                'api',
                REVOKED,
              );
          } finally {
            await later.close();
          }
        } finally {
          await Promise.all(apps.map((app) => app.close()));
        }
      },
      60_000,
    );

    it('stops answering when the feed from one master is cut, and answers again once it has read that master', async () => {
      const keyPrefix = `jwt-auth-test:${randomUUID()}:`;
      const app = await appOnCluster(
        randomBytes(32).toString('base64url'),
        keyPrefix,
        'fastify',
      );
      try {
        const mirror = mirrorOf(app);
        expect(await until(() => answers(mirror), 10_000)).toBe(true);
        const users = await usersOnEachMaster(keyPrefix);
        const node = new Redis(`redis://127.0.0.1:${cluster.nodes[1].port}`);
        try {
          // Stored on the second master without a word on the feed.
          await node.set(
            `${keyPrefix}{user:${users[1]}}:token:jti:unannounced`,
            '',
            'EX',
            60,
          );
          // Unheard of: the mirror answers for itself.
          expect(
            await until(
              () => !mirrored(mirror, 'jti:unannounced', users[1]).tokenRevoked,
            ),
          ).toBe(true);
          await node.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
          expect(await until(() => !answers(mirror))).toBe(true);
          expect(
            await until(
              () => mirrored(mirror, 'jti:unannounced', users[1]).tokenRevoked,
              10_000,
            ),
          ).toBe(true);
        } finally {
          node.disconnect();
        }
      } finally {
        await app.close();
      }
    }, 60_000);
  },
);
