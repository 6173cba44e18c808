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

/** A one-node Redis Cluster the tests started, owning every slot. */
export interface TestRedisCluster {
  /** The node's URL: a plain client reaches every slot through it. */
  readonly url: string;
  /** The node, for a cluster client's startup nodes. */
  readonly node: { readonly host: string; readonly port: number };
  /** Stops the node and removes its cluster configuration. */
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
 * Starts `redis-server --cluster-enabled yes` on free loopback ports, gives
 * it every slot and waits for `cluster_state:ok`: the smallest real cluster,
 * which refuses a command whose keys are in different slots (`CROSSSLOT`)
 * as a large one does.
 */
export async function startTestRedisCluster(): Promise<TestRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'jwt-auth-redis-cluster-'));
  const port = await freePort();
  let busPort = await freePort();
  while (busPort === port) busPort = await freePort();
  let server: Omit<TestRedis, 'url'> | undefined;
  try {
    server = await startRedisServer(port, [
      '--cluster-enabled',
      'yes',
      // Its own bus port: the default, port + 10000, may be taken or past 65535.
      '--cluster-port',
      String(busPort),
      // Else the node tells cluster clients an empty address for its slots.
      '--cluster-announce-ip',
      '127.0.0.1',
      '--cluster-config-file',
      join(dir, 'nodes.conf'),
      '--dir',
      dir,
    ]);
    const url = `redis://127.0.0.1:${port}`;
    const admin = new Redis(url);
    try {
      await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      let info = '';
      for (let waited = 0; waited < 10_000; waited += 50) {
        info = String(await admin.call('CLUSTER', 'INFO'));
        if (/^cluster_state:ok\r?$/m.test(info)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (!/^cluster_state:ok\r?$/m.test(info)) {
        throw new Error(`the Redis Cluster node on port ${port} is not ok`);
      }
    } finally {
      admin.disconnect();
    }
    const started = server;
    return {
      url,
      node: { host: '127.0.0.1', port },
      stop: async () => {
        await started.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
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
