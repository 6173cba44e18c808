import {
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  jest,
} from '@jest/globals';
import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { RevocationUnavailableError } from '../errors/revocation-unavailable.error.js';
import {
  MirroredRedisRevocationStore,
  type RedisFeedConnection,
} from './mirrored-redis-revocation.store.js';
import type { RedisCommandClient } from './redis-revocation.store.js';

const PREFIX = 'test:';
const MAX_STALENESS = 1000;

/** A promise and the means to settle it from the test. */
function deferred<T = unknown>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** Redis as the mirror sees it: keys with a value and a time to live, and SCAN. */
class FakeRedis implements RedisCommandClient {
  readonly keys = new Map<string, { value: string; ttl: number }>();
  failScans = 0;
  /** The ports of a cluster's masters; `undefined` for a server on its own. */
  masters: number[] | undefined;
  /** Whether the first master shows a slot moving away. */
  moving = false;

  /** A connection to one of the cluster's masters, as a cluster client holds it. */
  node(port: number) {
    return {
      options: { host: '127.0.0.1', port },
      call: (command: string, ...args: (string | number)[]) =>
        this.call(command, ...args),
    };
  }

  call(command: string, ...args: (string | number)[]): Promise<unknown> {
    switch (command) {
      case 'SCAN':
        if (this.failScans > 0) {
          this.failScans--;
          return Promise.reject(new Error('Connection is closed.'));
        }
        return Promise.resolve(['0', [...this.keys.keys()]]);
      case 'GET':
        return Promise.resolve(this.keys.get(String(args[0]))?.value ?? null);
      case 'PTTL':
        return Promise.resolve(this.keys.get(String(args[0]))?.ttl ?? -2);
      case 'MGET':
        return Promise.resolve(
          args.map((key) => this.keys.get(String(key))?.value ?? null),
        );
      case 'INFO':
        return Promise.resolve(
          `# Cluster\r\ncluster_enabled:${this.masters === undefined ? 0 : 1}\r\n`,
        );
      case 'CLUSTER':
        // Every slot, shared evenly, as CLUSTER NODES shows it.
        return Promise.resolve(
          (this.masters ?? [])
            .map((port, i, { length }) =>
              [
                `node-${port}`,
                `127.0.0.1:${port}@1${port}`,
                i === 0 ? 'myself,master' : 'master',
                '-',
                '0',
                '0',
                '1',
                'connected',
                `${Math.floor((i * 16384) / length)}-${Math.floor(((i + 1) * 16384) / length) - 1}`,
                ...(i === 0 && this.moving ? ['[5->-node-other]'] : []),
              ].join(' '),
            )
            .join('\n'),
        );
      default:
        return Promise.reject(new Error(`unexpected ${command}`));
    }
  }
}

/** A feed connection whose PINGs the test answers, one by one. */
class FakeFeed extends EventEmitter implements RedisFeedConnection {
  status = 'ready';
  readonly pings: ReturnType<typeof deferred>[] = [];
  readonly disconnects: (boolean | undefined)[] = [];

  subscribe(): Promise<unknown> {
    return Promise.resolve(1);
  }

  ping(): Promise<unknown> {
    const answer = deferred();
    this.pings.push(answer);
    return answer.promise;
  }

  disconnect(reconnect?: boolean): void {
    this.disconnects.push(reconnect);
  }

  /** Answers every PING sent so far. */
  answer(): void {
    for (const ping of this.pings.splice(0)) ping.resolve('PONG');
  }

  drop(): void {
    this.status = 'reconnecting';
    this.emit('close');
  }

  reconnect(): void {
    this.status = 'ready';
    this.emit('ready');
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('MirroredRedisRevocationStore', () => {
  /** What the store logged, as `level message`. */
  const logged: string[] = [];
  let redis: FakeRedis;
  let feed: FakeFeed;
  let store: MirroredRedisRevocationStore;

  /** Whether the store answers a check now, rather than failing closed. */
  const answers = (): boolean => {
    try {
      store.lookupNow('jti:probe', 0);
      return true;
    } catch (error) {
      if (error instanceof RevocationUnavailableError) return false;
      throw error;
    }
  };

  /** The mirror's answer, which must be one. */
  const mirrored = (tokenId: string, userId: number) => {
    const state = store.lookupNow(tokenId, userId);
    if (state === undefined) throw new Error('the mirror did not answer');
    return state;
  };

  /** Lets the store's pending promises run, and the fake timers by `ms`. */
  const settle = (ms = 0) => jest.advanceTimersByTimeAsync(ms);

  beforeAll(() => {
    const keep = (level: string) => (message: unknown) =>
      void logged.push(`${level} ${String(message)}`);
    Logger.overrideLogger({
      log: keep('log'),
      warn: keep('warn'),
      error: keep('error'),
    });
  });

  beforeEach(async () => {
    logged.length = 0;
    jest.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    redis = new FakeRedis();
    redis.keys.set(`${PREFIX}{user:7}:token:jti:known`, {
      value: '',
      ttl: 60_000,
    });
    feed = new FakeFeed();
    store = new MirroredRedisRevocationStore(redis, feed, {
      keyPrefix: PREFIX,
      maxEntries: 100,
      maxStaleness: MAX_STALENESS,
    });
    await settle();
  });

  afterEach(() => {
    store.close();
    jest.useRealTimers();
  });

  it('answers nothing until the PING after its snapshot is answered, then what the snapshot held', async () => {
    expect(answers()).toBe(false);
    expect(feed.pings).toHaveLength(1);
    feed.answer();
    await settle();
    expect(mirrored('jti:known', 7).tokenRevoked).toBe(true);
    expect(mirrored('jti:other', 7).tokenRevoked).toBe(false);
  });

  it('stops answering the moment the feed connection closes, and reads Redis again once it is back', async () => {
    feed.answer();
    await settle();
    feed.drop();
    expect(answers()).toBe(false);
    // Written while the feed was down: only the snapshot can bring it.
    redis.keys.set(`${PREFIX}{user:8}:cutoff`, {
      value: String(nowSeconds()),
      ttl: 60_000,
    });
    feed.reconnect();
    await settle();
    expect(answers()).toBe(false);
    feed.answer();
    await settle();
    expect(mirrored('jti:any', 8).userRevokedAt).toBe(nowSeconds());
    expect(mirrored('jti:known', 7).tokenRevoked).toBe(true);
    // Once each way, with the reason.
    expect(logged).toEqual([
      'warn Revocation mirror out of step with Redis (a feed connection closed): guarded requests get 503 until it is in step again',
      'log Revocation mirror in step with Redis again',
    ]);
  });

  it('takes the PING of an attempt cut short by a reconnection as no proof', async () => {
    expect(feed.pings).toHaveLength(1);
    const cutShort = feed.pings.splice(0);
    feed.drop();
    feed.reconnect();
    await settle();
    expect(feed.pings).toHaveLength(1);
    // Answered late: the attempt it belonged to is over.
    cutShort[0]?.resolve('PONG');
    await settle();
    expect(answers()).toBe(false);
    feed.answer();
    await settle();
    expect(answers()).toBe(true);
  });

  it('dates a proof from when its PING was sent, not from its answer', async () => {
    // The first, after the snapshot, too.
    await settle(MAX_STALENESS + 1);
    feed.answer();
    await settle();
    expect(answers()).toBe(false);
    await settle(MAX_STALENESS / 4);
    feed.answer();
    await settle();
    await settle(MAX_STALENESS / 4);
    expect(feed.pings).toHaveLength(1);
    // Answered more than maxStaleness after it was sent: it proves only
    // what was published before it was asked, too long ago.
    await settle(MAX_STALENESS + 1);
    feed.answer();
    await settle();
    expect(answers()).toBe(false);
    // The next PING, answered at once, proves the mirror current again.
    await settle(MAX_STALENESS / 4);
    feed.answer();
    await settle();
    expect(answers()).toBe(true);
  });

  it('keeps answering while PINGs are answered, fails closed past maxStaleness without an answer, and drops the connection at twice that', async () => {
    feed.answer();
    await settle();
    for (let beat = 0; beat < 12; beat++) {
      await settle(MAX_STALENESS / 4);
      feed.answer();
      await settle();
      expect(answers()).toBe(true);
    }
    // Silence from here on.
    await settle(MAX_STALENESS);
    expect(answers()).toBe(true);
    await settle(MAX_STALENESS / 4 + 1);
    expect(answers()).toBe(false);
    expect(feed.disconnects).toEqual([]);
    // The unanswered PING went out a beat after the last answer; the
    // connection goes at the first beat past twice maxStaleness from it.
    await settle(MAX_STALENESS - 1);
    expect(feed.disconnects).toEqual([]);
    await settle(MAX_STALENESS / 4);
    expect(feed.disconnects).toEqual([true]);
    expect(answers()).toBe(false);
  });

  it('tries again when the snapshot fails, and answers once one succeeds', async () => {
    feed.answer();
    await settle();
    redis.failScans = 2;
    feed.drop();
    feed.reconnect();
    await settle();
    expect(feed.pings).toHaveLength(0);
    await settle(100);
    expect(feed.pings).toHaveLength(0);
    await settle(200);
    expect(feed.pings).toHaveLength(1);
    feed.answer();
    await settle();
    expect(answers()).toBe(true);
  });

  it('applies the revocations the feed announces on its channel, and only there', async () => {
    feed.answer();
    await settle();
    const expiresAt = nowSeconds() + 60;
    feed.emit(
      'message',
      `${PREFIX}feed:0`,
      JSON.stringify(['token', 9, 'jti:heard', null, expiresAt]),
    );
    feed.emit(
      'message',
      'elsewhere',
      JSON.stringify(['token', 9, 'jti:elsewhere', null, expiresAt]),
    );
    expect(mirrored('jti:heard', 9).tokenRevoked).toBe(true);
    expect(mirrored('jti:elsewhere', 9).tokenRevoked).toBe(false);
  });

  it('reads Redis again when the feed carries something that is not a revocation', async () => {
    feed.answer();
    await settle();
    redis.keys.set(`${PREFIX}{user:10}:token:jti:unheard`, {
      value: '',
      ttl: 60_000,
    });
    feed.emit('message', `${PREFIX}feed:0`, '["token-v2",10,"jti:unheard"]');
    expect(answers()).toBe(false);
    await settle();
    feed.answer();
    await settle();
    expect(mirrored('jti:unheard', 10).tokenRevoked).toBe(true);
  });

  it('asks Redis while revocations do not fit, and mirrors again once they do', async () => {
    store.close();
    feed = new FakeFeed();
    store = new MirroredRedisRevocationStore(redis, feed, {
      keyPrefix: PREFIX,
      maxEntries: 1,
      maxStaleness: MAX_STALENESS,
    });
    await settle();
    feed.answer();
    await settle();
    expect(answers()).toBe(true);
    // A second user's revocation does not fit beside the first's.
    redis.keys.set(`${PREFIX}{user:11}:cutoff`, {
      value: String(nowSeconds()),
      ttl: 5_000,
    });
    feed.emit(
      'message',
      `${PREFIX}feed:0`,
      JSON.stringify(['user', 11, nowSeconds(), nowSeconds() + 5]),
    );
    expect(store.lookupNow('jti:any', 11)).toBeUndefined();
    await expect(store.lookup('jti:any', 11)).resolves.toEqual({
      tokenRevoked: false,
      userRevokedAt: nowSeconds(),
    });
    // Once the first user's revocation has expired, both fit again.
    redis.keys.delete(`${PREFIX}{user:7}:token:jti:known`);
    await settle(60_000);
    feed.answer();
    await settle();
    expect(answers()).toBe(true);
  });

  it('asks Redis on a cluster of more than one master, and mirrors a cluster of one', async () => {
    feed.answer();
    await settle();
    redis.masters = [7001, 7002];
    feed.drop();
    feed.reconnect();
    await settle();
    expect(feed.pings).toHaveLength(0);
    expect(store.lookupNow('jti:known', 7)).toBeUndefined();
    await expect(store.lookup('jti:known', 7)).resolves.toMatchObject({
      tokenRevoked: true,
    });
    redis.masters = [7001];
    await settle(10_000);
    feed.answer();
    await settle();
    expect(mirrored('jti:known', 7).tokenRevoked).toBe(true);
  });

  it('listens on every master of a cluster, proves each, and follows the cluster as it changes', async () => {
    store.close();
    redis.masters = [7001, 7002];
    const opened = new Map<number, FakeFeed>();
    store = new MirroredRedisRevocationStore(
      redis,
      ({ port }) => {
        const connection = new FakeFeed();
        opened.set(port, connection);
        return connection;
      },
      {
        keyPrefix: PREFIX,
        maxEntries: 100,
        maxStaleness: MAX_STALENESS,
        nodes: () => [7001, 7002, 7003].map((port) => redis.node(port)),
      },
    );
    await settle();
    expect([...opened.keys()]).toEqual([7001, 7002]);
    const [first, second] = [opened.get(7001), opened.get(7002)] as FakeFeed[];
    first.answer();
    await settle();
    expect(answers()).toBe(false);
    second.answer();
    await settle();
    expect(mirrored('jti:known', 7).tokenRevoked).toBe(true);

    // Heard from either master.
    second.emit(
      'message',
      `${PREFIX}feed:0`,
      JSON.stringify(['user', 12, nowSeconds(), nowSeconds() + 60]),
    );
    expect(mirrored('jti:any', 12).userRevokedAt).toBe(nowSeconds());

    // A proof needs every master's answer.
    await settle(MAX_STALENESS / 4);
    first.answer();
    await settle(MAX_STALENESS);
    expect(answers()).toBe(false);
    second.answer();
    await settle();
    await settle(MAX_STALENESS / 4);
    first.answer();
    second.answer();
    await settle();
    expect(answers()).toBe(true);

    // One feed lost: out of step until it is back and read again.
    second.drop();
    expect(answers()).toBe(false);
    second.reconnect();
    await settle();
    first.answer();
    second.answer();
    await settle();
    expect(answers()).toBe(true);

    // A failover: 7002's slots now on 7003. Seen at the next proof.
    redis.masters = [7001, 7003];
    await settle(MAX_STALENESS / 4);
    first.answer();
    second.answer();
    await settle();
    expect(answers()).toBe(false);
    expect(second.disconnects).toEqual([undefined]);
    const third = opened.get(7003) as FakeFeed;
    first.answer();
    third.answer();
    await settle();
    expect(answers()).toBe(true);
  });

  it('asks Redis while a slot moves between masters of a cluster', async () => {
    store.close();
    redis.masters = [7001, 7002];
    redis.moving = true;
    store = new MirroredRedisRevocationStore(redis, () => new FakeFeed(), {
      keyPrefix: PREFIX,
      maxEntries: 100,
      maxStaleness: MAX_STALENESS,
      nodes: () => [7001, 7002].map((port) => redis.node(port)),
    });
    await settle();
    expect(store.lookupNow('jti:known', 7)).toBeUndefined();
    await expect(store.lookup('jti:known', 7)).resolves.toMatchObject({
      tokenRevoked: true,
    });
  });

  it('refuses a cluster without its connections to the masters, to read each one', () => {
    expect(
      () =>
        new MirroredRedisRevocationStore(redis, () => new FakeFeed(), {
          keyPrefix: PREFIX,
          maxEntries: 100,
          maxStaleness: MAX_STALENESS,
        }),
    ).toThrow(TypeError);
  });

  it('drops a feed connection whose attempt to get in step hangs', async () => {
    // The first PING is never answered.
    await settle(2 * MAX_STALENESS - 1);
    expect(feed.disconnects).toEqual([]);
    await settle(MAX_STALENESS / 4 + 1);
    expect(feed.disconnects).toEqual([true]);
  });

  it('stops following the feed once closed', async () => {
    feed.answer();
    await settle();
    store.close();
    expect(feed.disconnects).toEqual([undefined]);
    await settle(10 * MAX_STALENESS);
    expect(feed.pings).toHaveLength(0);
  });
});
