import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';

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

/** Why the Redis suites cannot run here, or `undefined` when they can. */
export function redisUnavailableReason(): string | undefined {
  if (process.env.REDIS_URL) return undefined;
  if (
    spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
  )
    return undefined;
  return 'no redis-server on the PATH and no REDIS_URL: install redis-server (Debian: apt-get install redis-server) or set REDIS_URL to run it';
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
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}
