import { Logger } from '@nestjs/common';
import { once, type EventEmitter } from 'node:events';
import { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import type { ResolvedJwtAuthOptions } from '../jwt-auth.options.js';
import { MemoryRevocationStore } from './memory-revocation.store.js';
import {
  MirroredRedisRevocationStore,
  type RedisFeedConnection,
  type RedisFeedOpener,
} from './mirrored-redis-revocation.store.js';
import {
  RedisRevocationStore,
  type RedisCommandClient,
} from './redis-revocation.store.js';
import type { OwnedRevocationStore } from './revocation.service.js';

/** How long startup waits for Redis before going on without it, in milliseconds. */
const REDIS_STARTUP_WAIT = 2000;

/** The parts of an `ioredis` client, `Redis` or `Cluster`, the mirror uses. */
interface IoRedisClient extends RedisCommandClient, EventEmitter {
  readonly status: string;
  duplicate(override?: {
    lazyConnect?: boolean;
    retryStrategy?: (attempt: number) => number;
    host?: string;
    port?: number;
  }): RedisFeedConnection;
  /** A cluster's: learns its nodes anew. */
  refreshSlotsCache?(callback?: (error?: Error | null) => void): void;
  /** A cluster's: its node connections. */
  nodes?(role: 'master' | 'all'): (IoRedisClient & {
    readonly options: { readonly host?: string; readonly port?: number };
  })[];
  disconnect(): void;
}

/** The store the options ask for. Loads `ioredis` only for a Redis URL. */
export async function createRevocationStore(
  options: ResolvedJwtAuthOptions,
): Promise<OwnedRevocationStore> {
  const { store, redis, maxEntries } = options.revocation;
  if (store !== undefined) return { store };
  if (redis === undefined) {
    const memory = new MemoryRevocationStore(maxEntries);
    return {
      store: memory,
      lookupNow: (tokenId, userId) => memory.lookupNow(tokenId, userId),
    };
  }
  const logger = new Logger('JwtAuth');
  const { keyPrefix, maxStaleness } = redis;
  if (redis.client !== undefined && !redis.mirror)
    return { store: new RedisRevocationStore(redis.client, keyPrefix) };

  let client: IoRedisClient;
  let opened: IoRedisClient | undefined;
  if (redis.client !== undefined) {
    client = redis.client as IoRedisClient;
  } else {
    opened = client = await connect(redis.url as string, logger);
    if (!redis.mirror) {
      await startup(once(client, 'ready'), logger, 'Redis revocation store');
      return {
        store: new RedisRevocationStore(client, keyPrefix),
        close: async () => opened?.disconnect(),
      };
    }
  }

  // Feed connections reconnect whatever the client's own do: a cluster's
  // nodes never do, and connect lazily, which a copy would inherit.
  const feedOptions = {
    lazyConnect: false,
    retryStrategy: (attempt: number) => Math.min(attempt * 50, 2000),
  };
  const cluster = client.nodes?.bind(client);
  // A cluster's feed listens on each master, through a copy of one of the
  // client's node connections (its password, TLS and the like).
  const feed: RedisFeedConnection | RedisFeedOpener =
    cluster === undefined
      ? client.duplicate(feedOptions)
      : ({ host, port }) => {
          const node = cluster('master')[0] ?? cluster('all')[0];
          if (node === undefined) {
            throw new Error('the Redis Cluster client has no node connection');
          }
          return node.duplicate({ ...feedOptions, host, port });
        };
  const mirror = new MirroredRedisRevocationStore(client, feed, {
    keyPrefix,
    maxEntries,
    maxStaleness,
    // Every node: a replica promoted is one before the client knows it.
    nodes: cluster === undefined ? undefined : () => cluster('all'),
    refreshNodes: () => client.refreshSlotsCache?.(() => undefined),
  });
  if (!(await mirror.ready(REDIS_STARTUP_WAIT))) {
    logger.warn(
      'Redis revocation mirror not in step at startup: guarded requests get 503 until it is',
    );
  }
  return {
    store: mirror,
    lookupNow: (tokenId, userId) => mirror.lookupNow(tokenId, userId),
    close: async () => {
      mirror.close();
      opened?.disconnect();
    },
  };
}

/** Opens the module's own connection to Redis, logging when it comes and goes. */
async function connect(url: string, logger: Logger): Promise<IoRedisClient> {
  let Redis: typeof import('ioredis').Redis;
  try {
    ({ Redis } = await import('ioredis'));
  } catch (error) {
    throw new JwtAuthOptionsError(
      'revocation.redis.url',
      `JwtAuthModule option "revocation.redis.url" needs the ioredis package (npm install ioredis): ${(error as Error).message}`,
    );
  }
  const client = new Redis(url, {
    // Fail a command at once while disconnected, rather than queueing it:
    // the guard answers 503 quickly and checks resume on reconnection.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  let healthy = true;
  client.on('error', (error: Error) => {
    if (!healthy) return;
    healthy = false;
    logger.warn(`Redis revocation store unreachable: ${error.message}`);
  });
  client.on('ready', () => {
    if (!healthy) logger.log('Redis revocation store reachable again');
    healthy = true;
  });
  return client;
}

/** Waits for `ready` during startup, at most `REDIS_STARTUP_WAIT`. */
async function startup(
  ready: Promise<unknown>,
  logger: Logger,
  what: string,
): Promise<void> {
  const timedOut = new Promise<false>((resolve) =>
    setTimeout(() => resolve(false), REDIS_STARTUP_WAIT).unref(),
  );
  if (
    !(await Promise.race([
      ready.then(
        () => true,
        () => false,
      ),
      timedOut,
    ]))
  ) {
    logger.warn(
      `${what} not ready at startup: guarded requests get 503 until it is`,
    );
  }
}
