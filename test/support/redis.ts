import { Redis } from 'ioredis';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A Redis server for the tests: one they started, or the one `REDIS_URL` names. */
export interface TestRedis {
  readonly url: string;
  /** Stops a server the tests started (for failure tests). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP): connected, but silent. */
  pause(): void;
  /** Thaws it (SIGCONT). */
  resume(): void;
}

/** A Redis Cluster the tests started: one or more masters, no replicas. */
export interface TestRedisCluster {
  /** The first node's URL: a plain client reaches its slots through it. */
  readonly url: string;
  /** The first node, for a cluster client's startup nodes. */
  readonly node: { readonly host: string; readonly port: number };
  /** Every master, in the order their slot ranges follow. */
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  /** Stops every node and removes the cluster's configuration. */
  stop(): Promise<void>;
}

const hasRedisServer = (): boolean =>
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** Why the Redis suites cannot run here, or `undefined` when they can. */
export function redisUnavailableReason(): string | undefined {
  if (process.env.REDIS_URL) return undefined;
  if (hasRedisServer()) return undefined;
  return 'no redis-server on the PATH and no REDIS_URL: install redis-server (Debian: apt-get install redis-server) or set REDIS_URL to run it';
}

/**
 * Why the Redis Cluster suites cannot run here, or `undefined` when they
 * can. They always start their own node: `REDIS_URL` names a standalone
 * server, which answers what a cluster refuses.
 */
export function redisClusterUnavailableReason(): string | undefined {
  if (hasRedisServer()) return undefined;
  return 'no redis-server on the PATH: install redis-server (Debian: apt-get install redis-server) to run it';
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function ping(port: number): Promise<boolean> {
  const socket = new Socket();
  try {
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('PING\r\n');
    const [reply] = (await once(socket, 'data')) as [Buffer];
    return reply.toString().startsWith('+PONG');
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

/**
 * Starts `redis-server` on a free loopback port, without persistence, or
 * uses `REDIS_URL` (whose server the tests cannot stop).
 */
export async function startTestRedis(): Promise<TestRedis> {
  if (process.env.REDIS_URL) {
    const url = process.env.REDIS_URL;
    const cannot = () => {
      throw new Error('a server from REDIS_URL cannot be stopped by the tests');
    };
    return {
      url,
      stop: () => Promise.resolve().then(cannot),
      start: () => Promise.resolve().then(cannot),
      pause: cannot,
      resume: cannot,
    };
  }
  const port = await freePort();
  const server = await startRedisServer(port, []);
  return { url: `redis://127.0.0.1:${port}`, ...server };
}

/**
 * Starts `masters` nodes of `redis-server --cluster-enabled yes` on free
 * loopback ports, splits the slots between them, joins them and waits for
 * `cluster_state:ok` on each: a real cluster, which refuses a command whose
 * keys are in different slots (`CROSSSLOT`) and sends a key to its own
 * master.
 */
export async function startTestRedisCluster(
  masters = 1,
): Promise<TestRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'jwt-auth-redis-cluster-'));
  const servers: Omit<TestRedis, 'url'>[] = [];
  const nodes: { host: string; port: number }[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const taken = new Set<number>();
    const port = async () => {
      let candidate = await freePort();
      while (taken.has(candidate)) candidate = await freePort();
      taken.add(candidate);
      return candidate;
    };
    const busPorts: number[] = [];
    for (let i = 0; i < masters; i++) {
      const nodePort = await port();
      busPorts.push(await port());
      servers.push(
        await startRedisServer(nodePort, [
          '--cluster-enabled',
          'yes',
          // Its own bus port: the default, port + 10000, may be taken or past 65535.
          '--cluster-port',
          String(busPorts[i]),
          // Else the node tells cluster clients an empty address for its slots.
          '--cluster-announce-ip',
          '127.0.0.1',
          '--cluster-config-file',
          join(dir, `nodes-${nodePort}.conf`),
          '--dir',
          dir,
        ]),
      );
      nodes.push({ host: '127.0.0.1', port: nodePort });
    }
    const admins = nodes.map(
      ({ port: nodePort }) => new Redis(`redis://127.0.0.1:${nodePort}`),
    );
    try {
      const share = Math.ceil(16384 / masters);
      for (const [i, admin] of admins.entries()) {
        await admin.call(
          'CLUSTER',
          'ADDSLOTSRANGE',
          String(i * share),
          String(Math.min(16383, (i + 1) * share - 1)),
        );
        if (i > 0)
          await admin.call(
            'CLUSTER',
            'MEET',
            '127.0.0.1',
            String(nodes[0].port),
            String(busPorts[0]),
          );
      }
      // Settled: every node sees every master with its slots, and the
      // masters' config epochs, which start equal, have been told apart
      // (a node's view of the cluster changes until then).
      const view = async (admin: Redis) => {
        if (
          !/^cluster_state:ok\r?$/m.test(
            String(await admin.call('CLUSTER', 'INFO')),
          )
        ) {
          return undefined;
        }
        const epochs = String(await admin.call('CLUSTER', 'NODES'))
          .split('\n')
          .filter((line) => / master /.test(line.replace(/,/g, ' ')))
          .map((line) => line.split(' ')[6])
          .sort();
        return new Set(epochs).size === masters ? epochs.join() : undefined;
      };
      const ready = async () => {
        const views = await Promise.all(admins.map(view));
        return views[0] !== undefined && views.every((v) => v === views[0]);
      };
      let ok = false;
      for (let waited = 0; waited < 20_000 && !ok; waited += 50) {
        ok = await ready();
        if (!ok) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (!ok) {
        throw new Error(`the Redis Cluster of ${masters} masters is not ok`);
      }
    } finally {
      for (const admin of admins) admin.disconnect();
    }
    return {
      url: `redis://127.0.0.1:${nodes[0].port}`,
      node: nodes[0],
      nodes,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts `redis-server` on `port`, without persistence, with `extraArgs`. */
async function startRedisServer(
  port: number,
  extraArgs: readonly string[],
): Promise<Omit<TestRedis, 'url'>> {
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        ...extraArgs,
      ],
      {
        stdio: 'ignore',
      },
    );
    for (let waited = 0; waited < 5000; waited += 50) {
      if (await ping(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server did not answer on port ${port}`);
  };
  const stop = async (): Promise<void> => {
    if (child === undefined || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}
