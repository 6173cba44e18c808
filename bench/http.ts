import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { formatRatio, median, printTable, span, type Span } from './stats.js';
import type { TokenPool, TokenReader } from './token-pool.js';

const SERVER = fileURLToPath(new URL('./server.js', import.meta.url));

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let waited = 0; waited < 20_000; waited += 50) {
    const url = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (url !== undefined) return { child, url };
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

/** What a route's requests carry in `Authorization`. */
type Credential = 'none' | 'repeated token' | 'fresh tokens';

interface Route {
  readonly name: string;
  readonly label: string;
  readonly path: string;
  readonly credential: Credential;
}

const ROUTES: readonly Route[] = [
  {
    name: 'open',
    label: 'open GET /health',
    path: '/health',
    credential: 'none',
  },
  {
    name: 'ours',
    label: 'JwtAuthGuard GET /me',
    path: '/me',
    credential: 'repeated token',
  },
  {
    name: 'canonicalKeyObject',
    label: 'canonical AuthGuard + passport-jwt, KeyObject',
    path: '/canonical/key-object/me',
    credential: 'repeated token',
  },
  {
    name: 'canonicalString',
    label: 'canonical AuthGuard + passport-jwt, string secret',
    path: '/canonical/string-secret/me',
    credential: 'repeated token',
  },
  {
    name: 'openFresh',
    label: 'open GET /health',
    path: '/health',
    credential: 'fresh tokens',
  },
  {
    name: 'oursFresh',
    label: 'JwtAuthGuard GET /me',
    path: '/me',
    credential: 'fresh tokens',
  },
  {
    name: 'canonicalKeyObjectFresh',
    label: 'canonical AuthGuard + passport-jwt, KeyObject',
    path: '/canonical/key-object/me',
    credential: 'fresh tokens',
  },
  {
    name: 'canonicalStringFresh',
    label: 'canonical AuthGuard + passport-jwt, string secret',
    path: '/canonical/string-secret/me',
    credential: 'fresh tokens',
  },
];

/** The routes measured with the Redis revocation store, where the canonical guards have no counterpart. */
const REDIS_ROUTES = new Set(['open', 'ours', 'openFresh', 'oursFresh']);

/** How many interleaved slices each round of the HTTP benchmark is cut into. */
const SLICES_PER_ROUND = 3;

/** How often autocannon samples, in milliseconds: also how closely a run keeps to its duration. */
const SAMPLE_INTERVAL_MS = 100;

interface Measurement {
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
  /** A token sent with every request. */
  readonly token?: string;
  /** Where each request takes a token of its own. */
  readonly reader?: TokenReader;
}

/**
 * Requests per second of one route: completed requests over the run's
 * actual duration, or `undefined` when the requests needed more fresh
 * tokens than the pool held. Throws if any answer was not 2xx.
 */
async function measure(measurement: Measurement): Promise<number | undefined> {
  const { url, seconds, connections, token, reader } = measurement;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    sampleInt: Math.min(SAMPLE_INTERVAL_MS, seconds * 1000),
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    ...(reader === undefined
      ? {}
      : {
          // Called for every request autocannon writes, on every
          // connection: each request carries a token no other has carried.
          requests: [
            {
              setupRequest: (request: autocannon.Request) => {
                const fresh = reader.take();
                return fresh === undefined
                  ? request
                  : {
                      ...request,
                      headers: {
                        ...request.headers,
                        authorization: `Bearer ${fresh}`,
                      },
                    };
              },
            },
          ],
        }),
  });
  if (reader?.ranOut === true) return undefined;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`,
    );
  }
  return result.requests.total / result.duration;
}

/** Time per request, in microseconds, at `rps` requests per second. */
const microseconds = (rps: number): number => 1e6 / rps;

/** The ratios the HTTP benchmark reports, each with its formula. */
export interface HttpRatio {
  readonly value: number;
  /** The ratio of the same formula in each slice: its lowest and highest. */
  readonly slices: Span;
  readonly formula: string;
}

export interface HttpResult {
  readonly adapter: 'express' | 'fastify';
  readonly revocationStore: 'memory' | 'redis';
  /** Median over the slices, per route name. */
  readonly requestsPerSecond: Record<string, number>;
  /**
   * What each guard adds to a request, in microseconds: its time per
   * request (1/rps) less that of the open route whose requests carry the
   * same header.
   */
  readonly guardMicroseconds: Record<string, number>;
  readonly ratios: Record<string, HttpRatio>;
  /** How many fresh tokens the busiest route took. */
  readonly freshTokensPerRoute: number;
}

/**
 * The bench server on one adapter, in a child process on the loopback
 * interface, driven by autocannon from this process: the open route, our
 * guarded route and the two canonical passport-jwt routes, each with one
 * repeated token and with a fresh token on every request, alternating over
 * several rounds. The tokens come from `pool`, signed with `secret`.
 */
export async function runHttp(
  adapter: 'express' | 'fastify',
  options: {
    readonly secret: string;
    readonly pool: TokenPool;
    readonly repeatedToken: string;
    readonly rounds: number;
    readonly seconds: number;
    readonly connections: number;
    readonly redisUrl?: string;
  },
): Promise<HttpResult> {
  const { pool, rounds, seconds, connections, redisUrl } = options;
  const routes = ROUTES.filter(
    ({ name }) => redisUrl === undefined || REDIS_ROUTES.has(name),
  );
  const server = await startServer({
    BENCH_ADAPTER: adapter,
    JWT_SECRET: options.secret,
    ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl }),
  });
  try {
    // Every fresh-token route takes the pool's tokens from the first, each
    // once: routes do not share a cache, and this server has seen none of
    // them before.
    const readers = new Map(
      routes
        .filter(({ credential }) => credential === 'fresh tokens')
        .map(({ name }) => [name, pool.reader()]),
    );
    // The fastest rate seen so far on this server: no route is faster than
    // the open one, which runs first.
    let fastest = 0;
    const run = async (route: Route, duration: number): Promise<number> => {
      const reader = readers.get(route.name);
      for (let attempt = 1; ; attempt++) {
        // Twice the tokens the fastest route could take.
        await reader?.reserve(
          2 * fastest * (duration + 0.5) + 4 * connections + 1_000,
        );
        const start = reader?.position ?? 0;
        const rps = await measure({
          url: server.url + route.path,
          seconds: duration,
          connections,
          token:
            route.credential === 'repeated token'
              ? options.repeatedToken
              : undefined,
          reader,
        });
        if (rps !== undefined) {
          fastest = Math.max(fastest, rps);
          return rps;
        }
        // The route outran the pool (the rates seen so far came before the
        // server was warm): measure it again, on tokens none has seen.
        if (reader === undefined || attempt === 3) {
          throw new Error(
            `${route.path}: the pool of fresh tokens ran out ${attempt} times`,
          );
        }
        fastest = Math.max(fastest, (reader.position - start) / duration);
        reader.resume();
      }
    };

    for (const route of routes) await run(route, 1);
    const samples = new Map<string, number[]>(
      routes.map(({ name }) => [name, []]),
    );
    // Each round is cut into slices, and every route runs once in each
    // slice: a burst of load on the shared machine then lands on all routes
    // alike, instead of on whichever route had the whole round.
    for (let slice = 0; slice < rounds * SLICES_PER_ROUND; slice++) {
      // Rotate the order, so that no route always runs first or last.
      for (let i = 0; i < routes.length; i++) {
        const route = routes[(i + slice) % routes.length];
        samples
          .get(route.name)
          ?.push(await run(route, seconds / SLICES_PER_ROUND));
      }
    }

    const rps = Object.fromEntries(
      [...samples].map(([name, values]) => [name, median(values)]),
    );
    const result = summarise(adapter, redisUrl, routes, samples, rps);
    print(result, routes, { rounds, seconds, connections });
    return {
      ...result,
      freshTokensPerRoute: Math.max(
        0,
        ...[...readers.values()].map((reader) => reader.position),
      ),
    };
  } finally {
    await stopServer(server);
  }
}

/** The open route whose requests carry the same header as `route`'s. */
const baselineOf = (route: Route): string =>
  route.credential === 'fresh tokens' ? 'openFresh' : 'open';

function summarise(
  adapter: 'express' | 'fastify',
  redisUrl: string | undefined,
  routes: readonly Route[],
  samples: ReadonlyMap<string, readonly number[]>,
  rps: Record<string, number>,
): Omit<HttpResult, 'freshTokensPerRoute'> {
  const guardMicroseconds = Object.fromEntries(
    routes
      .filter(({ path }) => path !== '/health')
      .map((route) => [
        route.name,
        microseconds(rps[route.name]) - microseconds(rps[baselineOf(route)]),
      ]),
  );
  // Each ratio from the medians, and from each slice's own measurements.
  const ratioOf = (
    formula: string,
    of: (rps: (name: string) => number) => number,
  ): HttpRatio => {
    const slices = samples
      .get('open')
      ?.map((_, slice) => of((name) => samples.get(name)?.[slice] ?? NaN));
    return {
      value: of((name) => rps[name]),
      slices: span(slices ?? []),
      formula,
    };
  };
  const guardCost =
    (name: string, open: string) => (rps: (n: string) => number) =>
      microseconds(rps(name)) - microseconds(rps(open));
  const ratios: Record<string, HttpRatio> = {
    'guarded / open, repeated token': ratioOf(
      'rps(JwtAuthGuard, repeated token) / rps(open)',
      (rps) => rps('ours') / rps('open'),
    ),
  };
  if (redisUrl === undefined) {
    ratios['time per request, ours / canonical KeyObject, fresh tokens'] =
      ratioOf(
        'rps(canonical KeyObject, fresh) / rps(JwtAuthGuard, fresh), i.e. (1/rps ours) / (1/rps canonical)',
        (rps) => rps('canonicalKeyObjectFresh') / rps('oursFresh'),
      );
    ratios['guard cost, ours / canonical KeyObject, fresh tokens'] = ratioOf(
      '(1/rps(JwtAuthGuard, fresh) - 1/rps(open, fresh)) / (1/rps(canonical KeyObject, fresh) - 1/rps(open, fresh))',
      (rps) => {
        const canonical = guardCost(
          'canonicalKeyObjectFresh',
          'openFresh',
        )(rps);
        // A guard that measured no cost at all leaves nothing to compare.
        return canonical > 0
          ? guardCost('oursFresh', 'openFresh')(rps) / canonical
          : NaN;
      },
    );
    ratios['time per request, ours / canonical string secret, fresh tokens'] =
      ratioOf(
        'rps(canonical string secret, fresh) / rps(JwtAuthGuard, fresh)',
        (rps) => rps('canonicalStringFresh') / rps('oursFresh'),
      );
  } else {
    ratios['guarded / open, fresh tokens'] = ratioOf(
      'rps(JwtAuthGuard, fresh) / rps(open, fresh)',
      (rps) => rps('oursFresh') / rps('openFresh'),
    );
  }
  return {
    adapter,
    revocationStore: redisUrl === undefined ? 'memory' : 'redis',
    requestsPerSecond: Object.fromEntries(
      Object.entries(rps).map(([name, value]) => [name, Math.round(value)]),
    ),
    guardMicroseconds: Object.fromEntries(
      Object.entries(guardMicroseconds).map(([name, value]) => [
        name,
        Math.round(value * 10) / 10,
      ]),
    ),
    ratios,
  };
}

function print(
  result: Omit<HttpResult, 'freshTokensPerRoute'>,
  routes: readonly Route[],
  run: { rounds: number; seconds: number; connections: number },
): void {
  const label =
    result.revocationStore === 'redis'
      ? `${result.adapter}, Redis revocation store`
      : result.adapter;
  process.stdout.write(
    `\nHTTP (${label}): median of ${run.rounds} rounds of ${run.seconds} s in ${SLICES_PER_ROUND} interleaved slices, ${run.connections} connections, loopback\n`,
  );
  printTable([
    ['route', 'Authorization', 'req/s', 'µs/req', 'guard µs'],
    ...routes.map((route) => {
      const rps = result.requestsPerSecond[route.name];
      const guard = result.guardMicroseconds[route.name];
      return [
        route.label,
        route.credential,
        rps,
        microseconds(rps).toFixed(1),
        guard === undefined ? '' : guard.toFixed(1),
      ];
    }),
  ]);
  process.stdout.write(
    '  µs/req = 1e6 / req/s; guard µs = µs/req less that of the open route with the same Authorization\n',
  );
  printTable([
    ['ratio', 'medians', 'slices'],
    ...Object.entries(result.ratios).map(([name, { value, slices }]) => [
      name,
      formatRatio(value),
      `${formatRatio(slices.min)} to ${formatRatio(slices.max)}`,
    ]),
  ]);
}
