import { NestFactory } from '@nestjs/core';
import jwt from 'jsonwebtoken';
import {
  createHmac,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { JwtAuthModule, TokenService } from '../src/jwt-auth/index.js';
import { median, printTable, ratio } from './stats.js';

/** The cache size of the service under test: the module's default. */
const CACHE_SIZE = 10_000;

/** How many interleaved slices each round of the micro benchmark is cut into. */
const SLICES_PER_ROUND = 10;

/** The tokens in turn, round and round, carrying on from call to call. */
function inTurn(tokens: readonly string[]): () => string {
  let next = 0;
  return () => {
    const token = tokens[next];
    next = (next + 1) % tokens.length;
    return token;
  };
}

/** Operations per second of `operation` on the tokens `nextToken` gives, over about `seconds`. */
async function opsPerSecond(
  nextToken: () => string,
  operation: (token: string) => unknown,
  seconds: number,
): Promise<number> {
  let done = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - started < budget) {
    for (let i = 0; i < 256; i++) {
      await operation(nextToken());
      done++;
    }
  }
  return done / (Number(process.hrtime.bigint() - started) / 1e9);
}

export interface MicroResult {
  readonly opsPerSecond: Record<string, number>;
  readonly ratios: Record<string, number>;
}

/**
 * TokenService against jsonwebtoken (what passport-jwt verifies with) and
 * against a bare node:crypto HMAC-SHA256 check of the same tokens, the floor.
 */
export async function runMicro(
  rounds: number,
  seconds: number,
): Promise<MicroResult> {
  const secret = randomBytes(32).toString('base64url');
  const key = createSecretKey(Buffer.from(secret));
  const app = await NestFactory.createApplicationContext(
    JwtAuthModule.forRoot({ secret, tokenCacheSize: CACHE_SIZE }),
    {
      logger: false,
    },
  );
  const service = app.get(TokenService);
  const uncached = await NestFactory.createApplicationContext(
    JwtAuthModule.forRoot({ secret, tokenCacheSize: 0 }),
    { logger: false },
  );
  const serviceWithoutCache = uncached.get(TokenService);
  // So many distinct tokens that every "fresh" call misses. The cache keeps
  // a token from its second sighting on, and remembers first sightings in
  // 8,192 slots (for CACHE_SIZE); each case takes the tokens in turn across
  // its slices, so that before one comes round again, the 99,999 others
  // have long taken the slot its first sighting left.
  const fresh = await Promise.all(
    Array.from({ length: 100_000 }, (_, i) => service.sign({ sub: i })),
  );
  // Not one of the fresh tokens, which must stay out of the cache.
  const repeated = [await service.sign({ sub: 0 })];

  const floor = (token: string): boolean => {
    const dot = token.lastIndexOf('.');
    const mac = createHmac('sha256', key).update(token.slice(0, dot)).digest();
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    return signature.length === mac.length && timingSafeEqual(mac, signature);
  };
  const cases: ReadonlyArray<
    [string, readonly string[], (token: string) => unknown, number]
  > = [
    ['TokenService.sign', fresh, () => service.sign({ sub: 42 }), 1],
    ['TokenService.verify, fresh token', fresh, (t) => service.verify(t), 1],
    [
      'TokenService.verify, fresh token, cache off',
      fresh,
      (t) => serviceWithoutCache.verify(t),
      1,
    ],
    [
      'TokenService.verify, repeated token',
      repeated,
      (t) => service.verify(t),
      1,
    ],
    [
      'jsonwebtoken.verify, string secret',
      fresh,
      (t) => jwt.verify(t, secret, { algorithms: ['HS256'] }),
      0.5,
    ],
    [
      'jsonwebtoken.verify, KeyObject',
      fresh,
      (t) => jwt.verify(t, key, { algorithms: ['HS256'] }),
      1,
    ],
    ['node:crypto HMAC check (floor)', fresh, floor, 1],
  ];

  // Each round is cut into short slices, and every case runs once in each
  // slice: a burst of load on the shared machine then lands on all cases
  // alike, instead of on whichever case had the whole second.
  // Each case goes on from the token where its last slice stopped.
  const runs = cases.map(([name, tokens, operation, share]) => ({
    name,
    nextToken: inTurn(tokens),
    operation,
    share,
  }));
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let slice = 0; slice < rounds * SLICES_PER_ROUND; slice++) {
    for (const { name, nextToken, operation, share } of runs) {
      samples
        .get(name)
        ?.push(
          await opsPerSecond(
            nextToken,
            operation,
            (seconds * share) / SLICES_PER_ROUND,
          ),
        );
    }
  }
  await app.close();
  await uncached.close();

  const ops = Object.fromEntries(
    [...samples].map(([name, values]) => [name, Math.round(median(values))]),
  );
  const ratios = {
    'verify fresh / jsonwebtoken string secret': ratio(
      ops['TokenService.verify, fresh token'],
      ops['jsonwebtoken.verify, string secret'],
    ),
    'verify repeated / jsonwebtoken string secret': ratio(
      ops['TokenService.verify, repeated token'],
      ops['jsonwebtoken.verify, string secret'],
    ),
    'verify fresh, time per token / floor': ratio(
      ops['node:crypto HMAC check (floor)'],
      ops['TokenService.verify, fresh token'],
    ),
    'verify fresh with the cache off, time per token / floor': ratio(
      ops['node:crypto HMAC check (floor)'],
      ops['TokenService.verify, fresh token, cache off'],
    ),
  };

  process.stdout.write(
    `\nMicro: operations per second, median of ${rounds} rounds of ${SLICES_PER_ROUND} interleaved slices\n`,
  );
  printTable([['operation', 'ops/s'], ...Object.entries(ops)]);
  printTable([
    ['ratio', 'value'],
    ...Object.entries(ratios).map(([name, value]) => [name, value.toFixed(2)]),
  ]);
  return { opsPerSecond: ops, ratios };
}
