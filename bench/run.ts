import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { JwtAuthModule, TokenService } from '../src/jwt-auth/index.js';
import {
  redisUnavailableReason,
  startTestRedis,
} from '../test/support/redis.js';
import { runHttp, type HttpResult, type KeyServerOptions } from './http.js';
import {
  generateBenchKeys,
  HTTP_KEY_ALGORITHMS,
  publicKeyPem,
} from './keys.js';
import { MEMORY_LIMIT_MIB, runMemory, type MemoryResult } from './memory.js';
import {
  PROPAGATION_LIMIT_MS,
  printPropagation,
  runPropagation,
  type PropagationResult,
} from './propagation.js';
import { runMicro, type MicroResult } from './micro.js';
import { formatRatio, printTable } from './stats.js';
import { TokenPool } from './token-pool.js';

const USAGE = `Usage: npm run bench -- [options]
  --rounds N          rounds of every measurement (default 4)
  --seconds N         seconds of each HTTP round (default 3)
  --connections N     concurrent HTTP connections (default 16)
  --memory-tokens N   distinct tokens of the memory measurement (default 1000000)
  --logouts N         logouts timed from one server to another with Redis (default 200)
  --skip PART         leave out micro, http, redis or memory (repeatable)
  --out FILE          where to write the figures (default bench/results/latest.json)
  --help              print this
`;

/** Stops the run with a message and the usage, without a stack trace. */
function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

const SKIPPABLE = new Set(['micro', 'http', 'redis', 'memory']);

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      rounds: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '16' },
      'memory-tokens': { type: 'string', default: '1000000' },
      logouts: { type: 'string', default: '200' },
      skip: { type: 'string', multiple: true, default: [] },
      out: { type: 'string', default: 'bench/results/latest.json' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  usageError((error as Error).message);
}
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const connections = Number(args.connections);
const memoryTokens = Number(args['memory-tokens']);
const logouts = Number(args.logouts);
for (const [name, value] of Object.entries({
  rounds,
  seconds,
  connections,
  'memory-tokens': memoryTokens,
  logouts,
})) {
  if (!(value > 0)) usageError(`--${name} must be a positive number`);
}
for (const part of args.skip) {
  if (!SKIPPABLE.has(part)) usageError(`--skip ${part}: no such part`);
}
const skip = new Set(args.skip);
const adapters = ['express', 'fastify'] as const;
/** How far the guarded / open of a server with an asymmetric key may be from the secret's. */
const KEY_TOLERANCE = 0.05;

process.stdout.write(
  [
    'nest-jwt-auth benchmark',
    `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})`,
    'Figures are ratios within this one run: absolute numbers move with the',
    'machine and its load, and a shared, noisy machine moves them a lot.',
    '',
  ].join('\n'),
);

const results: {
  date: string;
  node: string;
  options: Record<string, number | string[]>;
  micro?: MicroResult;
  http?: Record<string, HttpResult>;
  propagation?: PropagationResult[];
  memory?: MemoryResult;
  summary?: SummaryRow[];
} = {
  date: new Date().toISOString(),
  node: process.version,
  options: {
    rounds,
    seconds,
    connections,
    memoryTokens,
    logouts,
    skip: [...skip],
  },
};

// Memory first: resident memory that the HTTP runs leave in the allocator
// would otherwise count as the tokens' growth.
if (!skip.has('memory')) results.memory = await runMemory(memoryTokens);

// A key of each algorithm, made for this run: none is ever in the source.
const keys = generateBenchKeys();

if (!skip.has('micro'))
  results.micro = await runMicro(rounds, Math.max(0.5, seconds / 3), keys);

if (!skip.has('http')) {
  // One secret and one pool of tokens for every server of the run: each
  // server is a process of its own, which has seen none of them before.
  const secret = randomBytes(32).toString('base64url');
  const signer = await NestFactory.createApplicationContext(
    JwtAuthModule.forRoot({ secret }),
    { logger: false },
  );
  const tokens = signer.get(TokenService);
  const pool = new TokenPool((i) => tokens.sign({ sub: i }));
  const repeatedToken = await tokens.sign({ sub: 1 });
  const http = (results.http = {} as Record<string, HttpResult>);
  const run = { secret, pool, repeatedToken, rounds, seconds, connections };
  // A server for each asymmetric key, given only the public key: its
  // repeated token is signed here.
  const keyServers: KeyServerOptions[] = [];
  for (const algorithm of HTTP_KEY_ALGORITHMS) {
    const key = keys[algorithm];
    const keySigner = await NestFactory.createApplicationContext(
      JwtAuthModule.forRoot({ keys: [key] }),
      { logger: false },
    );
    keyServers.push({
      algorithm,
      kid: key.kid,
      publicKey: publicKeyPem(key),
      repeatedToken: await keySigner.get(TokenService).sign({ sub: 1 }),
    });
    await keySigner.close();
  }
  for (const adapter of adapters) {
    http[adapter] = await runHttp(adapter, { ...run, keyServers });
  }
  if (!skip.has('redis')) {
    const reason = redisReason();
    if (reason === undefined) {
      const redis = await startTestRedis();
      try {
        for (const adapter of adapters) {
          http[`${adapter}, Redis revocation store`] = await runHttp(adapter, {
            ...run,
            redisUrl: redis.url,
          });
        }
        results.propagation = [];
        for (const adapter of adapters) {
          results.propagation.push(
            await runPropagation(adapter, {
              secret,
              redisUrl: redis.url,
              samples: Math.floor(logouts),
              sign: (userId) => tokens.sign({ sub: userId }),
            }),
          );
        }
        printPropagation(results.propagation);
      } finally {
        await redis.stop().catch(() => undefined);
      }
    } else {
      process.stdout.write(
        `\nHTTP with the Redis revocation store: skipped (${reason})\n`,
      );
    }
  }
  await signer.close();
  process.stdout.write(
    `\n${pool.size.toLocaleString('en-US')} distinct tokens signed for the fresh-token routes; no route sent one twice\n`,
  );
}

results.summary = summarise();
printSummary(results.summary);

// A relative --out is taken from the project's root, wherever the bench runs.
const out = resolve(fileURLToPath(new URL('../..', import.meta.url)), args.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    results,
    // Three decimals are more than a run's precision.
    (_key, value: unknown) =>
      typeof value === 'number' && !Number.isInteger(value)
        ? Math.round(value * 1000) / 1000
        : value,
    2,
  )}\n`,
);
process.stdout.write(`\nFigures written to ${args.out}\n`);

/** Why the Redis rows cannot run here, or `undefined` when they can. */
function redisReason(): string | undefined {
  const url = process.env.REDIS_URL;
  if (url !== undefined && url !== '') {
    const host = URL.canParse(url) ? new URL(url).hostname : '';
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host))
      return 'REDIS_URL is not on the loopback interface, and the benchmark sends nothing elsewhere';
  }
  return redisUnavailableReason();
}

interface SummaryRow {
  readonly measure: string;
  readonly values: Record<string, number | null>;
  /** The bound each value should keep, as `>= 0.9` or `<= 1.15`. */
  readonly target: Record<string, string>;
  readonly met: Record<string, boolean | null>;
}

function summarise(): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const atLeast = (bound: number) => (value: number) => value >= bound;
  const atMost = (bound: number) => (value: number) => value <= bound;
  const row = (
    measure: string,
    columns: ReadonlyArray<
      readonly [string, number | undefined, string, (value: number) => boolean]
    >,
  ): void => {
    const present = columns.filter(([, value]) => value !== undefined);
    if (present.length === 0) return;
    rows.push({
      measure,
      values: Object.fromEntries(
        present.map(([column, value]) => [
          column,
          Number.isFinite(value) ? (value as number) : null,
        ]),
      ),
      target: Object.fromEntries(
        present.map(([column, , target]) => [column, target]),
      ),
      met: Object.fromEntries(
        present.map(([column, value, , meets]) => [
          column,
          Number.isFinite(value) ? meets(value as number) : null,
        ]),
      ),
    });
  };
  const none = () => true;
  for (const [measure, label] of [
    ['wall', 'time per request at the rate sustained'],
    ['cpu', 'server CPU per request'],
  ] as const) {
    const http = (adapter: string, name: string): number | undefined =>
      results.http?.[adapter]?.ratios[measure][name]?.value;
    const both = (
      name: string,
      target: string,
      meets: (value: number) => boolean,
    ) =>
      (['express', 'fastify'] as const).map(
        (adapter) => [adapter, http(adapter, name), target, meets] as const,
      );
    row(`HTTP guarded / open, both with the repeated token (${label})`, [
      [
        'express',
        http('express', 'guarded / open, repeated token'),
        '>= 0.90',
        atLeast(0.9),
      ],
      [
        'fastify',
        http('fastify', 'guarded / open, repeated token'),
        '>= 0.85',
        atLeast(0.85),
      ],
    ]);
    for (const key of HTTP_KEY_ALGORITHMS) {
      row(
        `HTTP guarded / open, both with the repeated token, ${key} key (${label})`,
        (['express', 'fastify'] as const).map((adapter) => {
          const secret = http(adapter, 'guarded / open, repeated token');
          const value = http(
            adapter,
            `guarded / open, repeated token, ${key} key`,
          );
          return [
            adapter,
            // Without the secret's figure there is nothing to be within.
            value === undefined || Number.isFinite(secret) ? value : NaN,
            `in ${formatRatio(secret ?? NaN)} ± ${KEY_TOLERANCE}`,
            // The tiny slack keeps a difference of exactly the tolerance
            // from failing on floating point.
            (v: number) =>
              Math.abs(v - (secret as number)) <= KEY_TOLERANCE + 1e-9,
          ] as const;
        }),
      );
    }
    const floor =
      'floor: a guard that only sets request.user / open, repeated token';
    row(`HTTP ${floor} (${label})`, both(floor, '', none));
    const withoutHeader =
      'guarded / open without Authorization, repeated token';
    row(`HTTP ${withoutHeader} (${label})`, both(withoutHeader, '', none));
    for (const name of [
      'time per request, ours / canonical KeyObject, fresh tokens',
      'guard cost, ours / canonical KeyObject, fresh tokens',
    ]) {
      row(`HTTP ${name} (${label})`, both(name, '<= 1.15', atMost(1.15)));
    }
    const stringSecret =
      'time per request, ours / canonical string secret, fresh tokens';
    row(`HTTP ${stringSecret} (${label})`, both(stringSecret, '', none));
    const redis = (adapter: string, name: string) =>
      http(`${adapter}, Redis revocation store`, name);
    row(
      `HTTP with Redis revocation, guarded / open, repeated token (${label})`,
      [
        [
          'express',
          redis('express', 'guarded / open, repeated token'),
          '>= 0.90',
          atLeast(0.9),
        ],
        [
          'fastify',
          redis('fastify', 'guarded / open, repeated token'),
          '>= 0.85',
          atLeast(0.85),
        ],
      ],
    );
    row(
      `HTTP with Redis revocation, guarded / open, fresh tokens (${label})`,
      (['express', 'fastify'] as const).map(
        (adapter) =>
          [
            adapter,
            redis(adapter, 'guarded / open, fresh tokens'),
            '',
            none,
          ] as const,
      ),
    );
  }
  const propagation = (adapter: string) =>
    results.propagation?.find((result) => result.adapter === adapter)?.p99;
  row(
    'Redis revocation: logout on one server to refusal on another, p99 ms',
    (['express', 'fastify'] as const).map(
      (adapter) =>
        [
          adapter,
          propagation(adapter),
          `<= ${PROPAGATION_LIMIT_MS}`,
          atMost(PROPAGATION_LIMIT_MS),
        ] as const,
    ),
  );
  const micro = results.micro?.ratios;
  row('micro ops/s, TokenService.verify fresh / jsonwebtoken KeyObject', [
    [
      'micro',
      micro?.['ops/s, verify fresh / jsonwebtoken KeyObject'],
      '',
      none,
    ],
  ]);
  row('micro ops/s, TokenService.verify repeated / jsonwebtoken KeyObject', [
    [
      'micro',
      micro?.['ops/s, verify repeated / jsonwebtoken KeyObject'],
      '',
      none,
    ],
  ]);
  if (results.memory !== undefined) {
    row(
      `memory: resident growth over ${results.memory.tokens.toLocaleString('en-US')} distinct tokens, MiB`,
      [
        [
          'memory',
          results.memory.growthMiB,
          `< ${MEMORY_LIMIT_MIB}`,
          (value) => value < MEMORY_LIMIT_MIB,
        ],
      ],
    );
  }
  return rows;
}

function printSummary(rows: readonly SummaryRow[]): void {
  process.stdout.write('\nSummary (every figure measured within this run)\n');
  const cell = (row: SummaryRow, column: string): string => {
    if (!(column in row.values)) return '';
    const value = row.values[column];
    const shown = value === null ? 'n/a' : formatRatio(value);
    const target = row.target[column];
    if (target === '') return shown;
    const met = row.met[column];
    return `${shown} ${target} ${met === null ? '?' : met ? 'met' : 'MISSED'}`;
  };
  const columns = ['express', 'fastify'];
  printTable([
    ['measure', ...columns],
    ...rows
      .filter((row) => columns.some((column) => column in row.values))
      .map((row) => [
        row.measure,
        ...columns.map((column) => cell(row, column)),
      ]),
  ]);
  const others = rows.filter(
    (row) => !columns.some((column) => column in row.values),
  );
  if (others.length > 0) {
    printTable([
      ['measure', 'value'],
      ...others.map((row) => [
        row.measure,
        cell(row, Object.keys(row.values)[0]),
      ]),
    ]);
  }
  process.stdout.write(
    [
      '  Every HTTP ratio is of times per request, t, of routes alternated within every slice, in two measures:',
      '    time per request at the rate sustained, t = 1 / (req/s), which the load generator beside the server also moves;',
      "    server CPU per request, t = the server process's CPU time over the requests it answered.",
      '  guarded / open = t(open) / t(guarded), the rps ratio; ours / canonical = t(ours) / t(canonical).',
      '  guard cost = t(guarded route) - t(open route whose requests carry the same fresh-token header);',
      '    guard cost, ours / canonical = that of JwtAuthGuard over that of the canonical guard.',
      '  RS256 key, ES256 key: the same guarded / open on a server whose module verifies with that key, in the same slices;',
      `    its target, in x ± ${KEY_TOLERANCE}: within ${KEY_TOLERANCE} of x, the figure of the secret's (HS256) server on the same adapter.`,
      '',
    ].join('\n'),
  );
}
