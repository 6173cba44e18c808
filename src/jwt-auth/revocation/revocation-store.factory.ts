import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import type { ResolvedJwtAuthOptions } from '../jwt-auth.options.js';
import { MemoryRevocationStore } from './memory-revocation.store.js';
import { RedisRevocationStore } from './redis-revocation.store.js';
import type { OwnedRevocationStore } from './revocation.service.js';

/** How long startup waits for a Redis given by URL before going on without it, in milliseconds. */
const REDIS_STARTUP_WAIT = 2000;

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
  if (redis.client !== undefined)
    return { store: new RedisRevocationStore(redis.client, redis.keyPrefix) };

  let Redis: typeof import('ioredis').Redis;
  try {
    ({ Redis } = await import('ioredis'));
  } catch (error) {
    throw new JwtAuthOptionsError(
      'revocation.redis.url',
      `JwtAuthModule option "revocation.redis.url" needs the ioredis package (npm install ioredis): ${(error as Error).message}`,
    );
  }
  const logger = new Logger('JwtAuth');
  const client = new Redis(redis.url as string, {
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
  const ready = once(client, 'ready').then(() => true);
  const timedOut = new Promise<false>((resolve) =>
    setTimeout(() => resolve(false), REDIS_STARTUP_WAIT).unref(),
  );
  if (!(await Promise.race([ready.catch(() => false), timedOut]))) {
    logger.warn(
      'Redis revocation store not ready at startup: guarded requests get 503 until it is',
    );
  }
  return {
    store: new RedisRevocationStore(client, redis.keyPrefix),
    close: async () => {
      client.disconnect();
    },
  };
}
