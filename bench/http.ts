import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { median, printTable, ratio } from './stats.js';

const SERVER = fileURLToPath(new URL('./server.js', import.meta.url));

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      NO_COLOR: '1',
      PORT: '0',
      NODE_ENV: 'production',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let waited = 0; waited < 20_000; waited += 50) {
    const url = /Listening on (http:\/\/\S+)/.exec(output)?.[1];
    if (url !== undefined)
      return { child, url: url.replace('[::1]', '127.0.0.1') };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill();
  throw new Error(`the bench server did not start:\n${output}`);
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}

/** Requests per second of one route over `seconds`; throws if any answer was not 2xx. */
async function measure(
  url: string,
  token: string | undefined,
  seconds: number,
  connections: number,
): Promise<number> {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`,
    );
  }
  return result.requests.average;
}

export interface HttpResult {
  readonly requestsPerSecond: Record<string, number>;
  readonly ratios: Record<string, number>;
}

/** How many interleaved slices each round of the HTTP benchmark is cut into. */
const SLICES_PER_ROUND = 3;

const ROUTES = [
  ['open GET /health', '/health', false],
  ['guarded GET /me', '/me', true],
  ['canonical AuthGuard(jwt) /canonical/me', '/canonical/me', true],
] as const;

/**
 * The demo in a child process on one adapter, driven by autocannon from
 * this process: the open route, our guarded route and the canonical
 * passport-jwt route, alternating over several rounds.
 */
export async function runHttp(
  adapter: 'express' | 'fastify',
  options: {
    rounds: number;
    seconds: number;
    connections: number;
    env?: Record<string, string>;
  },
): Promise<HttpResult> {
  const secret = Buffer.from(
    crypto.getRandomValues(new Uint8Array(32)),
  ).toString('base64url');
  const server = await startServer({
    HTTP_ADAPTER: adapter,
    JWT_SECRET: secret,
    ...options.env,
  });
  try {
    const login = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
    });
    const { access_token: token } = (await login.json()) as {
      access_token: string;
    };

    const samples = new Map<string, number[]>(
      ROUTES.map(([name]) => [name, []]),
    );
    for (const [, path, guarded] of ROUTES) {
      await measure(
        server.url + path,
        guarded ? token : undefined,
        1,
        options.connections,
      );
    }
    // Each round is cut into slices, and every route runs once in each
    // slice: a burst of load on the shared machine then lands on all routes
    // alike, instead of on whichever route had the whole round.
    for (let slice = 0; slice < options.rounds * SLICES_PER_ROUND; slice++) {
      // Rotate the order, so that no route always runs first or last.
      for (let i = 0; i < ROUTES.length; i++) {
        const [name, path, guarded] = ROUTES[(i + slice) % ROUTES.length];
        samples
          .get(name)
          ?.push(
            await measure(
              server.url + path,
              guarded ? token : undefined,
              options.seconds / SLICES_PER_ROUND,
              options.connections,
            ),
          );
      }
    }
    const rps = Object.fromEntries(
      [...samples].map(([name, values]) => [name, Math.round(median(values))]),
    );
    const ratios = {
      'guarded / open': ratio(rps['guarded GET /me'], rps['open GET /health']),
      'ours / canonical': ratio(
        rps['guarded GET /me'],
        rps['canonical AuthGuard(jwt) /canonical/me'],
      ),
    };
    const label = options.env?.REDIS_URL
      ? `${adapter}, Redis revocation store`
      : adapter;
    process.stdout.write(
      `\nHTTP (${label}): requests per second, median of ${options.rounds} rounds of ${options.seconds} s in ${SLICES_PER_ROUND} interleaved slices, ${options.connections} connections\n`,
    );
    printTable([['route', 'req/s'], ...Object.entries(rps)]);
    printTable([
      ['ratio', 'value'],
      ...Object.entries(ratios).map(([name, value]) => [
        name,
        value.toFixed(2),
      ]),
    ]);
    return { requestsPerSecond: rps, ratios };
  } finally {
    await stopServer(server);
  }
}
