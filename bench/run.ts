import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runHttp, type HttpResult } from './http.js';
import { runMemory, type MemoryResult } from './memory.js';
import {
  redisUnavailableReason,
  startTestRedis,
} from '../test/support/redis.js';
import { runMicro, type MicroResult } from './micro.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    'memory-tokens': { type: 'string', default: '1000000' },
    skip: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: 'bench/results/latest.json' },
  },
});
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const skip = new Set(args.skip);

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
  micro?: MicroResult;
  http?: Record<string, HttpResult>;
  memory?: MemoryResult;
} = { date: new Date().toISOString(), node: process.version };

if (!skip.has('micro'))
  results.micro = await runMicro(rounds, Math.max(0.5, seconds / 3));
if (!skip.has('http')) {
  results.http = {};
  for (const adapter of ['express', 'fastify'] as const) {
    results.http[adapter] = await runHttp(adapter, {
      rounds,
      seconds,
      connections: Number(args.connections),
    });
  }
}
if (!skip.has('http') && !skip.has('redis')) {
  const reason = redisUnavailableReason();
  if (reason === undefined) {
    const redis = await startTestRedis();
    try {
      for (const adapter of ['express', 'fastify'] as const) {
        results.http ??= {};
        results.http[`${adapter}, Redis revocation store`] = await runHttp(
          adapter,
          {
            rounds,
            seconds,
            connections: Number(args.connections),
            env: { REDIS_URL: redis.url },
          },
        );
      }
    } finally {
      await redis.stop().catch(() => undefined);
    }
  } else {
    process.stdout.write(
      `\nHTTP with the Redis revocation store: skipped (${reason})\n`,
    );
  }
}
if (!skip.has('memory'))
  results.memory = await runMemory(Number(args['memory-tokens']));

// A relative --out is taken from the project's root, wherever the bench runs.
const out = resolve(fileURLToPath(new URL('../..', import.meta.url)), args.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\nFigures written to ${args.out}\n`);
