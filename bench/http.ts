import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  HTTP_KEY_ALGORITHMS,
  KEY_KINDS,
  type HttpKeyAlgorithm,
} from './keys.js';
import { formatRatio, median, printTable, span, type Span } from './stats.js';
import type { TokenPool, TokenReader } from './token-pool.js';

const SERVER = fileURLToPath(new URL('./server.js', import.meta.url));

export interface Server {
  readonly child: ChildProcess;
  readonly url: string;
}

/** The server process's CPU time so far, user and system, in microseconds. */
async function cpuTime(server: Server): Promise<number> {
  const answer = once(server.child, 'message');
  server.child.send('cpu');
  const [usage] = (await answer) as [NodeJS.CpuUsage];
  return usage.user + usage.system;
}

export async function startServer(
  env: Record<string, string>,
): Promise<Server> {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
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

export async function stopServer(server: Server): Promise<void> {
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
  /** On the server whose module verifies with a key of this algorithm; else on the secret's. */
  readonly key?: HttpKeyAlgorithm;
}

const ROUTES: readonly Route[] = [
  {
    name: 'open',
    label: 'open GET /health',
    path: '/health',
    credential: 'none',
  },
  {
    name: 'openRepeated',
    label: 'open GET /health',
    path: '/health',
    credential: 'repeated token',
  },
  {
    name: 'ours',
    label: 'JwtAuthGuard GET /me',
    path: '/me',
    credential: 'repeated token',
  },
  {
    name: 'userOnly',
    label: 'a guard that only sets request.user',
    path: '/floor/me',
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

/**
 * The routes of a server whose module verifies with an asymmetric key: the
 * open route and JwtAuthGuard's, both with that server's repeated token.
 */
const keyRoutes = (key: HttpKeyAlgorithm): readonly Route[] => [
  {
    name: `openRepeated${key}`,
    label: `open GET /health, ${key} key server`,
    path: '/health',
    credential: 'repeated token',
    key,
  },
  {
    name: `ours${key}`,
    label: `JwtAuthGuard GET /me, ${key} key server`,
    path: '/me',
    credential: 'repeated token',
    key,
  },
];

/** The routes measured with the Redis revocation store, where the canonical guards have no counterpart. */
const REDIS_ROUTES = new Set([
  'open',
  'openRepeated',
  'ours',
  'openFresh',
  'oursFresh',
]);

/** How many interleaved slices each round of the HTTP benchmark is cut into. */
const SLICES_PER_ROUND = 3;

/** How often autocannon samples, in milliseconds: also how closely a run keeps to its duration. */
const SAMPLE_INTERVAL_MS = 100;

interface Measurement {
  readonly server: Server;
  readonly path: string;
  readonly seconds: number;
  readonly connections: number;
  /** A token sent with every request. */
  readonly token?: string;
  /** Where each request takes a token of its own. */
  readonly reader?: TokenReader;
}

/** What one run of one route measured. */
interface Sample {
  /** Completed requests over the run's actual duration. */
  readonly rps: number;
  /**
   * The server's CPU time over the requests it completed, in microseconds:
   * what a request costs the server, whatever the load generator beside it
   * takes of the machine.
   */
  readonly cpu: number;
}

/**
 * One run of one route, or `undefined` when the requests needed more fresh
 * tokens than the pool held. Throws if any answer was not 2xx.
 */
async function measure(measurement: Measurement): Promise<Sample | undefined> {
  const { server, path, seconds, connections, token, reader } = measurement;
  const url = server.url + path;
  const cpuBefore = await cpuTime(server);
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
  const cpu = (await cpuTime(server)) - cpuBefore;
  if (reader?.ranOut === true) return undefined;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`,
    );
  }
  const { total } = result.requests;
  return { rps: total / result.duration, cpu: cpu / total };
}

/** Time per request, in microseconds, at `rps` requests per second. */
const microseconds = (rps: number): number => 1e6 / rps;

/**
 * The two measures of a request's cost: `wall`, the time per request at the
 * rate the route sustained (1e6 / req/s), which the load generator on the
 * same machine also moves; and `cpu`, the server's CPU time per request.
 */
export type Measure = 'wall' | 'cpu';

const MEASURES: Readonly<Record<Measure, (sample: Sample) => number>> = {
  wall: (sample) => microseconds(sample.rps),
  cpu: (sample) => sample.cpu,
};

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
  /** The server's CPU time per request in microseconds, median over the slices, per route name. */
  readonly cpuMicroseconds: Record<string, number>;
  /**
   * The ratios of each measure, each computed from the times per request
   * of that measure (so `guarded / open` is t(open) / t(guarded)).
   */
  readonly ratios: Record<Measure, Record<string, HttpRatio>>;
  /** How many fresh tokens the busiest route took. */
  readonly freshTokensPerRoute: number;
}

/** A bench server whose module verifies with an asymmetric key instead of the secret. */
export interface KeyServerOptions {
  readonly algorithm: HttpKeyAlgorithm;
  readonly kid: string;
  /** SPKI PEM: the server verifies, and never holds the private key. */
  readonly publicKey: string;
  /** Signed with the private key; sent with every request to this server. */
  readonly repeatedToken: string;
}

/**
 * The bench server on one adapter, in a child process on the loopback
 * interface, driven by autocannon from this process: the open route, our
 * guarded route and the two canonical passport-jwt routes, each with one
 * repeated token and with a fresh token on every request, alternating over
 * several rounds. The tokens come from `pool`, signed with `secret`. With
 * `keyServers`, a server of the same application in a process of its own
 * for each, whose open and guarded routes, with its repeated token, take
 * their turn in the same slices.
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
    readonly keyServers?: readonly KeyServerOptions[];
  },
): Promise<HttpResult> {
  const { pool, rounds, seconds, connections, redisUrl } = options;
  const keyServers = options.keyServers ?? [];
  const routes = [
    ...ROUTES.filter(
      ({ name }) => redisUrl === undefined || REDIS_ROUTES.has(name),
    ),
    ...keyServers.flatMap(({ algorithm }) => keyRoutes(algorithm)),
  ];
  const environment = {
    BENCH_ADAPTER: adapter,
    JWT_SECRET: options.secret,
    ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl }),
  };
  const servers = new Map<HttpKeyAlgorithm | undefined, Server>();
  const repeatedTokens = new Map<HttpKeyAlgorithm | undefined, string>([
    [undefined, options.repeatedToken],
  ]);
  try {
    servers.set(undefined, await startServer(environment));
    for (const { algorithm, kid, publicKey, repeatedToken } of keyServers) {
      servers.set(
        algorithm,
        await startServer({
          ...environment,
          JWT_KEY_ALGORITHM: algorithm,
          JWT_KEY_ID: kid,
          JWT_PUBLIC_KEY: publicKey,
        }),
      );
      repeatedTokens.set(algorithm, repeatedToken);
    }
    // Every fresh-token route takes the pool's tokens from the first, each
    // once: routes do not share a cache, and this server has seen none of
    // them before.
    const readers = new Map(
      routes
        .filter(({ credential }) => credential === 'fresh tokens')
        .map(({ name }) => [name, pool.reader()]),
    );
    // The fastest rate seen so far on these servers: no route is faster
    // than the open one, which runs first.
    let fastest = 0;
    const run = async (route: Route, duration: number): Promise<Sample> => {
      const reader = readers.get(route.name);
      for (let attempt = 1; ; attempt++) {
        // Twice the tokens the fastest route could take.
        await reader?.reserve(
          2 * fastest * (duration + 0.5) + 4 * connections + 1_000,
        );
        const start = reader?.position ?? 0;
        const sample = await measure({
          server: servers.get(route.key) as Server,
          path: route.path,
          seconds: duration,
          connections,
          token:
            route.credential === 'repeated token'
              ? repeatedTokens.get(route.key)
              : undefined,
          reader,
        });
        if (sample !== undefined) {
          fastest = Math.max(fastest, sample.rps);
          return sample;
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
    const samples = new Map<string, Sample[]>(
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

    const result = summarise(adapter, redisUrl, routes, samples);
    print(result, routes, { rounds, seconds, connections, keyServers });
    return {
      ...result,
      freshTokensPerRoute: Math.max(
        0,
        ...[...readers.values()].map((reader) => reader.position),
      ),
    };
  } finally {
    for (const server of servers.values()) await stopServer(server);
  }
}

/** A time per request, by route name. */
type Times = (name: string) => number;

/** One ratio the HTTP benchmark reports. */
interface RatioDefinition {
  readonly name: string;
  /** How it is computed, with t the time per request of a route. */
  readonly formula: string;
  /** Where it applies: with either revocation store, or only one. */
  readonly store?: 'memory' | 'redis';
  /** Where it applies: only with the server of a key of this algorithm. */
  readonly key?: HttpKeyAlgorithm;
  readonly of: (t: Times) => number;
}

/** What a guard adds to a fresh-token request: t(route) - t(open, fresh). */
const freshGuardCost = (t: Times, name: string): number =>
  t(name) - t('openFresh');

/**
 * The ratios, each computed once from the medians and once within every
 * slice.
 */
const RATIOS: readonly RatioDefinition[] = [
  {
    name: 'guarded / open, repeated token',
    formula: 't(open) / t(JwtAuthGuard), both with the repeated token',
    of: (t) => t('openRepeated') / t('ours'),
  },
  ...HTTP_KEY_ALGORITHMS.map((key): RatioDefinition => ({
    name: `guarded / open, repeated token, ${key} key`,
    formula: `t(open) / t(JwtAuthGuard), both with the repeated token, on the server whose module verifies with the ${key} key`,
    store: 'memory',
    key,
    of: (t) => t(`openRepeated${key}`) / t(`ours${key}`),
  })),
  {
    name: 'floor: a guard that only sets request.user / open, repeated token',
    formula:
      't(open) / t(a guard that only sets request.user), both with the repeated token',
    store: 'memory',
    of: (t) => t('openRepeated') / t('userOnly'),
  },
  {
    name: 'guarded / open without Authorization, repeated token',
    formula: 't(open, no Authorization) / t(JwtAuthGuard, repeated token)',
    of: (t) => t('open') / t('ours'),
  },
  {
    name: 'guarded / open, fresh tokens',
    formula: 't(open) / t(JwtAuthGuard), fresh tokens',
    store: 'redis',
    of: (t) => t('openFresh') / t('oursFresh'),
  },
  {
    name: 'time per request, ours / canonical KeyObject, fresh tokens',
    formula: 't(JwtAuthGuard) / t(canonical KeyObject), fresh tokens',
    store: 'memory',
    of: (t) => t('oursFresh') / t('canonicalKeyObjectFresh'),
  },
  {
    name: 'guard cost, ours / canonical KeyObject, fresh tokens',
    formula:
      '(t(JwtAuthGuard) - t(open)) / (t(canonical KeyObject) - t(open)), fresh tokens',
    store: 'memory',
    of: (t) => {
      const canonical = freshGuardCost(t, 'canonicalKeyObjectFresh');
      // A guard that measured no cost at all leaves nothing to compare.
      return canonical > 0 ? freshGuardCost(t, 'oursFresh') / canonical : NaN;
    },
  },
  {
    name: 'time per request, ours / canonical string secret, fresh tokens',
    formula: 't(JwtAuthGuard) / t(canonical string secret), fresh tokens',
    store: 'memory',
    of: (t) => t('oursFresh') / t('canonicalStringFresh'),
  },
];

function summarise(
  adapter: 'express' | 'fastify',
  redisUrl: string | undefined,
  routes: readonly Route[],
  samples: ReadonlyMap<string, readonly Sample[]>,
): Omit<HttpResult, 'freshTokensPerRoute'> {
  const medianOf = (measure: Measure) =>
    Object.fromEntries(
      routes.map(({ name }) => [
        name,
        median((samples.get(name) ?? []).map(MEASURES[measure])),
      ]),
    );
  const slices = samples.get('open')?.length ?? 0;
  const ratiosOf = (measure: Measure): Record<string, HttpRatio> => {
    const medians = medianOf(measure);
    const inSlice = (slice: number) => (name: string) => {
      const sample = samples.get(name)?.[slice];
      return sample === undefined ? NaN : MEASURES[measure](sample);
    };
    const store = redisUrl === undefined ? 'memory' : 'redis';
    return Object.fromEntries(
      RATIOS.filter(
        (ratio) =>
          (ratio.store ?? store) === store &&
          (ratio.key === undefined ||
            routes.some(({ key }) => key === ratio.key)),
      ).map(({ name, formula, of }) => [
        name,
        {
          value: of((route) => medians[route]),
          slices: span(
            Array.from({ length: slices }, (_, slice) => of(inSlice(slice))),
          ),
          formula,
        },
      ]),
    );
  };
  const round = (values: Record<string, number>, digits: number) =>
    Object.fromEntries(
      Object.entries(values).map(([name, value]) => [
        name,
        Math.round(value * 10 ** digits) / 10 ** digits,
      ]),
    );
  return {
    adapter,
    revocationStore: redisUrl === undefined ? 'memory' : 'redis',
    requestsPerSecond: round(
      Object.fromEntries(
        routes.map(({ name }) => [
          name,
          median((samples.get(name) ?? []).map(({ rps }) => rps)),
        ]),
      ),
      0,
    ),
    cpuMicroseconds: round(medianOf('cpu'), 1),
    ratios: { wall: ratiosOf('wall'), cpu: ratiosOf('cpu') },
  };
}

function print(
  result: Omit<HttpResult, 'freshTokensPerRoute'>,
  routes: readonly Route[],
  run: {
    rounds: number;
    seconds: number;
    connections: number;
    keyServers: readonly KeyServerOptions[];
  },
): void {
  const label =
    result.revocationStore === 'redis'
      ? `${result.adapter}, Redis revocation store`
      : result.adapter;
  process.stdout.write(
    `\nHTTP (${label}): median of ${run.rounds} rounds of ${run.seconds} s in ${SLICES_PER_ROUND} interleaved slices, ${run.connections} connections, loopback\n`,
  );
  printTable([
    ['route', 'Authorization', 'req/s', 'µs/req', 'server CPU µs/req'],
    ...routes.map((route) => {
      const rps = result.requestsPerSecond[route.name];
      return [
        route.label,
        route.credential,
        rps,
        microseconds(rps).toFixed(1),
        result.cpuMicroseconds[route.name].toFixed(1),
      ];
    }),
  ]);
  process.stdout.write(
    "  µs/req = 1e6 / req/s; server CPU µs/req = the server process's CPU time (user + system) over the requests it answered\n",
  );
  printTable([
    ['ratio', 'wall', 'slices', 'server CPU', 'slices'],
    ...Object.keys(result.ratios.wall).map((name) => {
      const wall = result.ratios.wall[name];
      const cpu = result.ratios.cpu[name];
      return [
        name,
        formatRatio(wall.value),
        `${formatRatio(wall.slices.min)} to ${formatRatio(wall.slices.max)}`,
        formatRatio(cpu.value),
        `${formatRatio(cpu.slices.min)} to ${formatRatio(cpu.slices.max)}`,
      ];
    }),
  ]);
  for (const { algorithm } of run.keyServers) {
    process.stdout.write(
      `  ${algorithm} key server: the same application in a process of its own, its module given keys: [{ kid, algorithm: '${algorithm}', publicKey }] (${KEY_KINDS[algorithm]}) instead of the secret, and a token signed with the private key\n`,
    );
  }
}
