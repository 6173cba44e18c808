import { Logger } from '@nestjs/common';
import { RevocationUnavailableError } from '../errors/revocation-unavailable.error.js';
import { MemoryRevocationStore } from './memory-revocation.store.js';
import {
  parseFeedEntry,
  RedisRevocationStore,
  type RedisCommandClient,
  type RevocationEntry,
} from './redis-revocation.store.js';
import type {
  RevocationState,
  RevocationStore,
} from './revocation-store.interface.js';

/**
 * A Redis connection that listens to the feed: what the mirror needs of an
 * `ioredis` client, which it puts in subscriber mode.
 */
export interface RedisFeedConnection {
  readonly status: string;
  subscribe(channel: string): Promise<unknown>;
  ping(): Promise<unknown>;
  on(
    event: 'message',
    listener: (channel: string, message: string) => void,
  ): unknown;
  on(event: 'ready' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  disconnect(reconnect?: boolean): void;
}

/** Opens a feed connection to one master of a cluster. */
export type RedisFeedOpener = (master: {
  readonly host: string;
  readonly port: number;
}) => RedisFeedConnection;

export interface MirroredRedisRevocationStoreOptions {
  /** Prefix of every key, and of the feed channel. */
  readonly keyPrefix: string;
  /**
   * A cluster client's connections to its masters, to read the snapshot
   * from the master itself. @default the client
   */
  readonly nodes?: () => readonly (RedisCommandClient & {
    readonly options: { readonly host?: string; readonly port?: number };
  })[];
  /** Asks the cluster client to learn the cluster's nodes anew. */
  readonly refreshNodes?: () => void;
  /** Capacity of the mirror, in entries (revoked tokens plus users' cutoffs). */
  readonly maxEntries: number;
  /**
   * How old, in milliseconds, the last proof that the mirror holds every
   * revocation may be before lookups fail as unavailable.
   */
  readonly maxStaleness: number;
}

/** The longest wait between two attempts to get in step, in milliseconds. */
const MAX_RETRY_DELAY = 2000;

/** How long a mirror set aside waits before trying again, in milliseconds. */
const SET_ASIDE_RETRY_DELAY = 10_000;

/** A monotonic clock, in milliseconds: a wall clock set back must not extend a proof. */
const clock = (): number => performance.now();

/**
 * Revocations in Redis, looked up in this process's memory: each instance
 * keeps a mirror of the unexpired revocations, reads it from Redis when it
 * starts, and follows every later write through the feed, a Redis pub/sub
 * channel that `RedisRevocationStore` publishes to in the same script as it
 * writes. A check is then a lookup in a `Map`, with no round trip.
 *
 * Revocations only ever add up (a token revoked, a cutoff that moves
 * forward), so the order in which the snapshot and the feed deliver them
 * does not matter: the mirror subscribes first, then scans, and applies
 * both as they come.
 *
 * It never answers from a mirror that may lack a revocation. It sends a
 * `PING` down the feed connection every quarter of `maxStaleness`: Redis
 * answers it after every message published before it, so the answer
 * proves the mirror holds every revocation written until the `PING` was
 * sent. A lookup fails with `RevocationUnavailableError` (503 with
 * `Retry-After`, unless `revocation.failOpen`) while that proof is older
 * than `maxStaleness`, and from the moment the feed connection drops until
 * the mirror is in step again (subscribed, snapshot read, `PING`
 * answered). A `PING` left unanswered twice that long, or an attempt to
 * get in step that hangs as long, drops the connection, so that a silent
 * one is replaced. A message on the channel that is not a revocation
 * counts as a lost one: the mirror reads Redis again.
 *
 * The mirror is a `MemoryRevocationStore`: bounded by `maxEntries`, a user
 * with many revoked tokens folded into a cutoff. When revocations do not
 * fit in it, lookups ask Redis (`lookup()`, one `MGET`) until a later
 * snapshot fits again.
 *
 * On a cluster, a `PUBLISH` reaches the subscribers of other masters over
 * the cluster bus, which a `PING` does not vouch for: the mirror listens on
 * every master (given what opens a feed connection to each), reads each
 * one's keys from that master, and proves each feed with a `PING` of its
 * own. It reads `CLUSTER NODES` before and after getting in step, and at
 * every proof: a change (a failover, a new master, a slot moved) takes it
 * out of step until it has read the new masters. While a slot is moving
 * between masters, and on a cluster of several masters given one feed
 * connection, lookups ask Redis, as while the mirror is full.
 */
export class MirroredRedisRevocationStore implements RevocationStore {
  private readonly logger = new Logger('JwtAuth');
  private readonly redis: RedisRevocationStore;
  private readonly mirror: MemoryRevocationStore;
  /** Whether the mirror has been in step since the feed connection was last ready. */
  private inStep = false;
  /** Why lookups ask Redis rather than the mirror, if they do. */
  private askRedis: 'full' | 'cluster' | undefined;
  /** When the last `PING` that proved the mirror current was sent (`clock()`). */
  private provenAt = Number.NEGATIVE_INFINITY;
  /** Counts losses of step: an attempt or a `PING` of an earlier one proves nothing. */
  private generation = 0;
  /** When the running attempt to get in step began (`clock()`). */
  private attemptStartedAt: number | undefined;
  /** When the `PING` awaiting its answer was sent (`clock()`). */
  private pingSentAt: number | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  /** Why the mirror is out of step, once logged; `undefined` while in step. */
  private outOfStep: string | undefined = 'starting';
  private closed = false;
  private readonly waiting = new Set<() => void>();
  /** The feed connections, by the master they listen on (`host:port`; `''` for a server on its own). */
  private readonly feeds = new Map<string, RedisFeedConnection>();
  /** The cluster's slots and masters when the mirror last got in step; `undefined` off a cluster. */
  private slots: string | undefined;

  /** Opens a feed connection to each master of a cluster. */
  private readonly feedTo: RedisFeedOpener | undefined;

  /**
   * @param feed the feed connection to the server, or, for a cluster, what
   *   opens one to each of its masters, so that every revocation is heard
   *   from the master that stored it. Given one connection, the mirror
   *   follows a cluster of one master only.
   */
  constructor(
    private readonly client: RedisCommandClient,
    feed: RedisFeedConnection | RedisFeedOpener,
    private readonly options: MirroredRedisRevocationStoreOptions,
  ) {
    this.redis = new RedisRevocationStore(client, options.keyPrefix);
    this.mirror = new MemoryRevocationStore(options.maxEntries);
    this.heartbeat = setInterval(
      () => this.beat(),
      Math.max(1, Math.floor(options.maxStaleness / 4)),
    ).unref();
    if (typeof feed === 'function') {
      // Else a keyless SCAN would go to any master, cursor and all.
      if (options.nodes === undefined) {
        throw new TypeError(
          'MirroredRedisRevocationStore: a cluster (a feed opener) needs options.nodes, its connections to the masters',
        );
      }
      this.feedTo = feed;
      void this.getInStep();
    } else {
      this.follow('', feed);
      if (feed.status === 'ready') void this.getInStep();
    }
  }

  async revokeToken(
    tokenId: string,
    userId: number,
    issuedAt: number | undefined,
    expiresAt: number,
  ): Promise<void> {
    await this.redis.revokeToken(tokenId, userId, issuedAt, expiresAt);
    // Seen here at once, before the feed brings it back.
    this.apply({ kind: 'token', userId, tokenId, issuedAt, expiresAt });
  }

  async revokeUser(
    userId: number,
    revokedAt: number,
    expiresAt: number,
  ): Promise<void> {
    await this.redis.revokeUser(userId, revokedAt, expiresAt);
    this.apply({ kind: 'user', userId, revokedAt, expiresAt });
  }

  async lookup(tokenId: string, userId: number): Promise<RevocationState> {
    return (
      this.lookupNow(tokenId, userId) ?? this.redis.lookup(tokenId, userId)
    );
  }

  /**
   * `lookup()`'s answer at once, from the mirror; `undefined` while the
   * mirror is set aside (full, or a cluster it cannot follow: then
   * `lookup()` asks Redis).
   *
   * @throws RevocationUnavailableError while the mirror may lack a revocation.
   */
  lookupNow(tokenId: string, userId: number): RevocationState | undefined {
    if (this.askRedis !== undefined) return undefined;
    if (!this.inStep || clock() - this.provenAt > this.options.maxStaleness) {
      throw new RevocationUnavailableError(
        `The revocation mirror is not in step with Redis (${this.outOfStep ?? 'no answer from the feed'})`,
      );
    }
    return this.mirror.lookupNow(tokenId, userId);
  }

  /** Resolves once the mirror is in step, or after `timeout` ms; `true` when in step. */
  ready(timeout: number): Promise<boolean> {
    if (this.inStep) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve(this.inStep);
      };
      const timer = setTimeout(done, timeout).unref();
      this.waiting.add(done);
    });
  }

  /** Stops following the feed and closes its connection. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    // An attempt under way opens no more feeds, nor uses these.
    this.generation++;
    for (const feed of this.feeds.values()) feed.disconnect();
    this.feeds.clear();
    for (const done of [...this.waiting]) done();
  }

  /**
   * Subscribes, reads the snapshot, and proves with a `PING` that nothing
   * published since is missing; tries again later on failure.
   */
  private async getInStep(): Promise<void> {
    if (this.closed) return;
    const generation = ++this.generation;
    this.inStep = false;
    this.pingSentAt = undefined;
    this.attemptStartedAt = clock();
    clearTimeout(this.retry);
    try {
      const slots = await this.cluster();
      if (generation !== this.generation) return;
      if (
        slots !== undefined &&
        slots.masters.length > 1 &&
        this.feedTo === undefined
      ) {
        this.askRedisInstead(
          'cluster',
          `the Redis Cluster has ${slots.masters.length} masters, and the mirror was given no way to listen on each`,
        );
        return;
      }
      // Each master shows only its own moving slots; a key moving between
      // two masters could be read on neither.
      for (const master of slots?.masters ?? []) {
        const node = this.snapshotNode(master);
        if (node !== undefined && (await this.cluster(node))?.moving) {
          this.askRedisInstead('cluster', 'a slot is moving between masters');
          return;
        }
      }
      if (generation !== this.generation) return;
      const feeds = this.listenOn(slots?.masters);
      if (feeds.length === 0)
        throw new Error('no feed connection to listen on');
      if (feeds.some((feed) => feed.status !== 'ready')) {
        // Started again once each is ready, or, should a master be gone
        // for good, after a while, with the cluster read anew.
        this.attemptStartedAt = undefined;
        this.retryLater();
        return;
      }
      await Promise.all(
        feeds.map((feed) => feed.subscribe(this.redis.channel)),
      );
      for (const master of slots?.masters ?? [undefined]) {
        for await (const entries of this.redis.entries(
          this.snapshotNode(master),
        )) {
          if (generation !== this.generation) return;
          for (const entry of entries) this.apply(entry);
        }
      }
      if (generation !== this.generation) return;
      const sentAt = clock();
      await Promise.all(feeds.map((feed) => feed.ping()));
      if (
        slots !== undefined &&
        (await this.cluster())?.layout !== slots.layout
      ) {
        throw new Error('the cluster changed while the mirror read it');
      }
      if (generation !== this.generation || this.closed) return;
      this.slots = slots?.layout;
      this.inStep = true;
      this.askRedis = undefined;
      this.provenAt = sentAt;
      this.attemptStartedAt = undefined;
      this.failures = 0;
      if (this.outOfStep !== 'starting') {
        this.logger.log('Revocation mirror in step with Redis again');
      }
      this.outOfStep = undefined;
      for (const done of [...this.waiting]) done();
    } catch (error) {
      if (generation !== this.generation || this.closed) return;
      this.lose(`getting in step failed: ${reasonOf(error)}`);
      this.retryLater();
    }
  }

  /** Tries to get in step again after a delay that grows with each failure. */
  private retryLater(delay?: number): void {
    if (this.closed) return;
    clearTimeout(this.retry);
    const wait = delay ?? Math.min(MAX_RETRY_DELAY, 100 * 2 ** this.failures++);
    this.retry = setTimeout(() => void this.getInStep(), wait).unref();
  }

  /**
   * Proves the mirror current, or drops a feed connection that stays
   * silent. Checks fail from `maxStaleness` on anyway; the connection is
   * dropped only at twice that, so that an event loop held up for a moment
   * (the answer waiting, unread) does not cost a new snapshot.
   */
  private beat(): void {
    if (this.closed) return;
    const now = clock();
    const patience = 2 * this.options.maxStaleness;
    if (!this.inStep) {
      if (
        this.attemptStartedAt !== undefined &&
        now - this.attemptStartedAt > patience
      ) {
        this.attemptStartedAt = undefined;
        this.lose('getting in step took too long');
        this.reconnectReadyFeeds();
        this.retryLater(MAX_RETRY_DELAY);
      }
      return;
    }
    if (this.pingSentAt !== undefined) {
      if (now - this.pingSentAt > patience) {
        this.lose('the feed did not answer a PING in time');
        this.reconnectReadyFeeds();
        this.retryLater(MAX_RETRY_DELAY);
      }
      return;
    }
    const generation = this.generation;
    this.pingSentAt = now;
    const settled = () => {
      if (this.pingSentAt === now) this.pingSentAt = undefined;
    };
    const layout =
      this.slots === undefined
        ? undefined
        : this.cluster().then((slots) => slots?.layout);
    Promise.all([
      ...[...this.feeds.values()].map((feed) => feed.ping()),
      layout,
    ]).then((answers) => {
      settled();
      if (generation !== this.generation) return;
      if (answers.at(-1) !== this.slots) {
        this.lose('the cluster changed');
        void this.getInStep();
        return;
      }
      this.provenAt = Math.max(this.provenAt, now);
    }, settled);
  }

  /** Drops every feed connection that looks alive, so that each reconnects. */
  private reconnectReadyFeeds(): void {
    for (const feed of this.feeds.values()) {
      if (feed.status === 'ready') feed.disconnect(true);
    }
  }

  /**
   * The feed connections for these masters (`undefined`: the server
   * itself), opening the missing ones and closing those of masters gone.
   */
  private listenOn(
    masters: readonly string[] | undefined,
  ): RedisFeedConnection[] {
    const { feedTo } = this;
    if (this.closed) return [];
    if (masters === undefined || feedTo === undefined) {
      return [...this.feeds.values()];
    }
    for (const [master, feed] of this.feeds) {
      if (!masters.includes(master)) {
        this.feeds.delete(master);
        feed.disconnect();
      }
    }
    for (const master of masters) {
      if (this.feeds.has(master)) continue;
      const at = master.lastIndexOf(':');
      this.follow(
        master,
        feedTo({
          host: master.slice(0, at),
          port: Number(master.slice(at + 1)),
        }),
      );
    }
    return [...this.feeds.values()];
  }

  /** Listens to a feed connection, for as long as it is one of the feeds. */
  private follow(master: string, feed: RedisFeedConnection): void {
    this.feeds.set(master, feed);
    const current = () => [...this.feeds.values()].includes(feed);
    feed.on('message', (channel, message) => {
      if (channel === this.redis.channel) this.receive(message);
    });
    feed.on('close', () => {
      if (!current()) return;
      this.lose('a feed connection closed');
      // Its return starts the next attempt; a master gone for good never
      // returns, and the cluster must be read anew.
      this.retryLater(MAX_RETRY_DELAY);
    });
    feed.on('ready', () => {
      if (current()) void this.getInStep();
    });
    // Reported as the loss of step that follows; ioredis would print it.
    feed.on('error', () => undefined);
  }

  private receive(message: string): void {
    const entry = parseFeedEntry(message);
    if (entry !== undefined) {
      this.apply(entry);
      return;
    }
    // Perhaps a revocation in a form this version cannot read: only the
    // snapshot can tell.
    this.lose(
      `a message on the feed that is not a revocation (${message.length} characters)`,
    );
    this.retryLater(0);
  }

  /** Puts a revocation in the mirror; one that does not fit sends lookups to Redis. */
  private apply(entry: RevocationEntry): void {
    try {
      if (entry.kind === 'token') {
        this.mirror.revokeTokenNow(
          entry.tokenId,
          entry.userId,
          entry.issuedAt,
          entry.expiresAt,
        );
      } else {
        this.mirror.revokeUserNow(
          entry.userId,
          entry.revokedAt,
          entry.expiresAt,
        );
      }
    } catch (error) {
      if (!(error instanceof RevocationUnavailableError)) throw error;
      this.askRedisInstead(
        'full',
        'full: revocation.maxEntries users with unexpired revocations',
      );
    }
  }

  /**
   * Sends lookups to Redis, for as long as the mirror cannot hold what
   * Redis does: tries again from time to time (revocations expire, clusters
   * shrink).
   */
  private askRedisInstead(kind: 'full' | 'cluster', reason: string): void {
    if (this.askRedis !== kind) {
      this.logger.warn(
        `Revocation mirror set aside (${reason}): checks ask Redis until it can hold every revocation again`,
      );
    }
    this.askRedis = kind;
    this.generation++;
    this.inStep = false;
    this.attemptStartedAt = undefined;
    this.retryLater(SET_ASIDE_RETRY_DELAY);
  }

  /**
   * The cluster this Redis belongs to, as `CLUSTER NODES` on `node` shows
   * it: its masters (`host:port`, those without slots too, which a slot
   * may be moving to), its layout (each master's id, address, config epoch
   * and slots), to compare, and whether a slot is moving; `undefined` for a
   * server on its own.
   *
   * @throws when some slot has no master.
   */
  private async cluster(
    node: RedisCommandClient = this.client,
  ): Promise<
    { masters: string[]; layout: string; moving: boolean } | undefined
  > {
    const info = String(await node.call('INFO', 'cluster'));
    if (!/^cluster_enabled:1\r?$/m.test(info)) return undefined;
    const masters: string[] = [];
    const layout: string[] = [];
    let served = 0;
    let moving = false;
    for (const line of String(await node.call('CLUSTER', 'NODES')).split(
      '\n',
    )) {
      const [id, address, flags, , , , epoch, , ...slots] = line
        .trim()
        .split(' ');
      const flagged = (flags ?? '').split(',');
      if (
        address === undefined ||
        !flagged.includes('master') ||
        flagged.some((flag) => ['fail', 'handshake', 'noaddr'].includes(flag))
      ) {
        continue;
      }
      // A node shows its own slots that are moving as [slot->-id] or [slot-<-id].
      moving ||= slots.some((slot) => slot.startsWith('['));
      const owned = slots.filter((slot) => !slot.startsWith('['));
      for (const range of owned) {
        const [first, last = first] = range.split('-').map(Number);
        served += last - first + 1;
      }
      const master = address.split('@')[0];
      masters.push(master);
      layout.push(`${id}@${master}#${epoch}:${owned.join(',')}`);
    }
    if (served !== 16384) {
      throw new Error(`the cluster serves ${served} of its 16384 slots`);
    }
    return {
      masters: masters.sort(),
      layout: layout.sort().join(' '),
      moving,
    };
  }

  /** Where the snapshot is read: the cluster's master itself, when known. */
  private snapshotNode(
    master: string | undefined,
  ): RedisCommandClient | undefined {
    const { nodes } = this.options;
    if (nodes === undefined || master === undefined) return undefined;
    const node = nodes().find(
      ({ options }) => `${options.host}:${options.port}` === master,
    );
    if (node === undefined) {
      // A replica promoted, say, which the client learns of only when told.
      this.options.refreshNodes?.();
      throw new Error(`no connection to the cluster's master ${master} yet`);
    }
    return node;
  }

  /** Stops answering until in step again, logging the first reason. */
  private lose(reason: string): void {
    this.generation++;
    this.inStep = false;
    this.pingSentAt = undefined;
    if (this.closed || this.outOfStep !== undefined) return;
    this.outOfStep = reason;
    this.logger.warn(
      `Revocation mirror out of step with Redis (${reason}): guarded requests get 503 until it is in step again`,
    );
  }
}

const reasonOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
