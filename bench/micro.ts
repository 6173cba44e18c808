import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import jwt from 'jsonwebtoken';
import {
  createHmac,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { JwtAuthModule, TokenService } from '../src/jwt-auth/index.js';
import {
  BENCH_ALGORITHMS,
  KEY_KINDS,
  type BenchAlgorithm,
  type BenchKeys,
} from './keys.js';
import { formatRatio, median, printTable } from './stats.js';
import { TokenPool, type TokenReader } from './token-pool.js';

/** How many interleaved slices each round of the micro benchmark is cut into. */
const SLICES_PER_ROUND = 10;

/** How many tokens the verifiers that keep no state between calls go round. */
const CYCLE = 100_000;

/**
 * Operations per second of `operation` on the tokens `nextToken` gives, over
 * about `seconds`, or until `nextToken` has none left.
 */
async function opsPerSecond(
  nextToken: () => string | undefined,
  operation: (token: string) => unknown,
  seconds: number,
): Promise<number> {
  let done = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  measuring: while (process.hrtime.bigint() - started < budget) {
    for (let i = 0; i < 256; i++) {
      const token = nextToken();
      if (token === undefined) break measuring;
      await operation(token);
      done++;
    }
  }
  return done / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** The first `count` tokens of `pool` in turn, round and round. */
function inTurn(pool: TokenPool, count: number): () => string | undefined {
  let next = 0;
  return () => {
    const token = pool.at(next);
    next = (next + 1) % count;
    return token;
  };
}

interface Case {
  readonly name: string;
  readonly operation: (token: string) => unknown;
  /** Share of the round's time, for the slow cases. */
  readonly share: number;
  /** For a case that must never see a token twice. */
  readonly reader?: TokenReader;
  /** Tokens signed beyond what the case is expected to take. @default 10000 */
  readonly headroom?: number;
  readonly nextToken: () => string | undefined;
}

/** TokenService with a key of one algorithm. */
export interface AlgorithmFigures {
  /** What the key is: `2048-bit RSA`, say. */
  readonly key: string;
  readonly signOpsPerSecond: number;
  /** Verifications of tokens the service had not seen, per second. */
  readonly verifyFreshOpsPerSecond: number;
  /** Verifications of one token, again and again (the cache), per second. */
  readonly verifyRepeatedOpsPerSecond: number;
  /** Each over HS256's. */
  readonly signOverHs256: number;
  readonly verifyFreshOverHs256: number;
  readonly verifyRepeatedOverHs256: number;
}

export interface MicroResult {
  readonly opsPerSecond: Record<string, number>;
  readonly ratios: Record<string, number>;
  /** Sign, and verify of a fresh and of a repeated token, with a key of each algorithm. */
  readonly byAlgorithm: Record<BenchAlgorithm, AlgorithmFigures>;
}

/**
 * The share of a slice that each algorithm's sign and fresh verify take:
 * RSA signs slowly, and every token an RSA verification takes is one
 * signed before.
 */
const ALGORITHM_SHARES: Readonly<
  Record<BenchAlgorithm, { sign: number; verify: number }>
> = {
  HS256: { sign: 0.5, verify: 0.5 },
  RS256: { sign: 0.5, verify: 0.25 },
  PS256: { sign: 0.5, verify: 0.25 },
  ES256: { sign: 0.5, verify: 0.5 },
};

/** The tokens signed ahead of an algorithm's fresh verifications. */
const ALGORITHM_HEADROOM = 1_000;

/**
 * TokenService against jsonwebtoken (what passport-jwt verifies with), with
 * a string secret and with a KeyObject, and against a bare node:crypto
 * HMAC-SHA256 check of the same tokens, the floor. Then, in the same
 * slices, TokenService's sign, fresh verify and repeated verify with a key of each of
 * `keys`, each in a module of its own.
 */
export async function runMicro(
  rounds: number,
  seconds: number,
  keys: BenchKeys,
): Promise<MicroResult> {
  const secret = randomBytes(32).toString('base64url');
  const key = createSecretKey(Buffer.from(secret));
  const app = await NestFactory.createApplicationContext(
    JwtAuthModule.forRoot({ secret }),
    { logger: false },
  );
  const service = app.get(TokenService);
  // The tokens come from a service of their own, so that the one measured
  // meets each fresh token first when it verifies it.
  const signer = await NestFactory.createApplicationContext(
    JwtAuthModule.forRoot({ secret }),
    { logger: false },
  );
  const signing = signer.get(TokenService);
  const pool = new TokenPool((i) => signing.sign({ sub: i }));
  await pool.fill(CYCLE);
  const repeated = await signing.sign({ sub: 0 });

  const floor = (token: string): boolean => {
    const dot = token.lastIndexOf('.');
    const mac = createHmac('sha256', key).update(token.slice(0, dot)).digest();
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    return signature.length === mac.length && timingSafeEqual(mac, signature);
  };
  const fresh = pool.reader();
  // TokenService.verify() may remember what it verified, so its fresh case
  // takes each token once; the other verifiers keep nothing between calls
  // and go round the first tokens of the pool.
  const cases: readonly Case[] = [
    {
      name: 'TokenService.sign',
      operation: () => service.sign({ sub: 42 }),
      share: 1,
      nextToken: () => '',
    },
    {
      name: 'TokenService.verify, fresh token',
      operation: (token) => service.verify(token),
      share: 1,
      reader: fresh,
      nextToken: () => fresh.take(),
    },
    {
      name: 'TokenService.verify, repeated token',
      operation: (token) => service.verify(token),
      share: 1,
      nextToken: () => repeated,
    },
    {
      name: 'jsonwebtoken.verify, KeyObject',
      operation: (token) => jwt.verify(token, key, { algorithms: ['HS256'] }),
      share: 1,
      nextToken: inTurn(pool, CYCLE),
    },
    {
      name: 'jsonwebtoken.verify, string secret',
      operation: (token) =>
        jwt.verify(token, secret, { algorithms: ['HS256'] }),
      share: 0.5,
      nextToken: inTurn(pool, CYCLE),
    },
    {
      name: 'node:crypto HMAC check (floor)',
      operation: floor,
      share: 1,
      nextToken: inTurn(pool, CYCLE),
    },
  ];
  // Per algorithm, a module given only that key, whose tokens come from a
  // module of their own with the same key.
  const contexts: INestApplicationContext[] = [];
  const algorithmCases: Case[] = [];
  const algorithmReaders: TokenReader[] = [];
  for (const algorithm of BENCH_ALGORITHMS) {
    const options = JwtAuthModule.forRoot({ keys: [keys[algorithm]] });
    const measured = await NestFactory.createApplicationContext(options, {
      logger: false,
    });
    const keySigner = await NestFactory.createApplicationContext(options, {
      logger: false,
    });
    contexts.push(measured, keySigner);
    const keyService = measured.get(TokenService);
    const keySigning = keySigner.get(TokenService);
    const reader = new TokenPool((i) => keySigning.sign({ sub: i })).reader();
    algorithmReaders.push(reader);
    const repeatedToken = await keySigning.sign({ sub: 0 });
    algorithmCases.push(
      {
        name: `${algorithm} sign`,
        operation: () => keyService.sign({ sub: 42 }),
        share: ALGORITHM_SHARES[algorithm].sign,
        nextToken: () => '',
      },
      {
        name: `${algorithm} verify, fresh token`,
        operation: (token) => keyService.verify(token),
        share: ALGORITHM_SHARES[algorithm].verify,
        reader,
        headroom: ALGORITHM_HEADROOM,
        nextToken: () => reader.take(),
      },
      {
        name: `${algorithm} verify, repeated token`,
        operation: (token) => keyService.verify(token),
        share: 0.5,
        nextToken: () => repeatedToken,
      },
    );
  }
  const allCases = [...cases, ...algorithmCases];

  const sliceSeconds = seconds / SLICES_PER_ROUND;
  const fastest = new Map<string, number>();
  const slice = async (run: Case): Promise<number> => {
    // Tokens enough for half again the fastest rate seen, signed before the
    // clock starts.
    await run.reader?.reserve(
      1.5 * (fastest.get(run.name) ?? 0) * sliceSeconds * run.share +
        (run.headroom ?? 10_000),
    );
    const rate = await opsPerSecond(
      run.nextToken,
      run.operation,
      sliceSeconds * run.share,
    );
    fastest.set(run.name, Math.max(rate, fastest.get(run.name) ?? 0));
    return rate;
  };

  for (const run of allCases) await slice(run);
  // Each round is cut into short slices, and every case runs once in each
  // slice: a burst of load on the shared machine then lands on all cases
  // alike, instead of on whichever case had the whole second.
  const samples = new Map<string, number[]>(
    allCases.map(({ name }) => [name, []]),
  );
  for (let i = 0; i < rounds * SLICES_PER_ROUND; i++) {
    for (const run of allCases) samples.get(run.name)?.push(await slice(run));
  }
  await app.close();
  await signer.close();
  for (const context of contexts) await context.close();

  const medianOf = (name: string): number =>
    Math.round(median(samples.get(name) ?? []));
  const ops = Object.fromEntries(
    cases.map(({ name }) => [name, medianOf(name)]),
  );
  const hs256 = {
    sign: medianOf('HS256 sign'),
    verify: medianOf('HS256 verify, fresh token'),
    repeated: medianOf('HS256 verify, repeated token'),
  };
  const byAlgorithm = Object.fromEntries(
    BENCH_ALGORITHMS.map((algorithm) => {
      const sign = medianOf(`${algorithm} sign`);
      const verify = medianOf(`${algorithm} verify, fresh token`);
      const repeated = medianOf(`${algorithm} verify, repeated token`);
      return [
        algorithm,
        {
          key: KEY_KINDS[algorithm],
          signOpsPerSecond: sign,
          verifyFreshOpsPerSecond: verify,
          verifyRepeatedOpsPerSecond: repeated,
          signOverHs256: sign / hs256.sign,
          verifyFreshOverHs256: verify / hs256.verify,
          verifyRepeatedOverHs256: repeated / hs256.repeated,
        },
      ];
    }),
  ) as Record<BenchAlgorithm, AlgorithmFigures>;
  const ratios = {
    'ops/s, verify fresh / jsonwebtoken KeyObject':
      ops['TokenService.verify, fresh token'] /
      ops['jsonwebtoken.verify, KeyObject'],
    'ops/s, verify fresh / jsonwebtoken string secret':
      ops['TokenService.verify, fresh token'] /
      ops['jsonwebtoken.verify, string secret'],
    'ops/s, verify repeated / jsonwebtoken KeyObject':
      ops['TokenService.verify, repeated token'] /
      ops['jsonwebtoken.verify, KeyObject'],
    'ops/s, verify repeated / jsonwebtoken string secret':
      ops['TokenService.verify, repeated token'] /
      ops['jsonwebtoken.verify, string secret'],
    'time per token, verify fresh / floor':
      ops['node:crypto HMAC check (floor)'] /
      ops['TokenService.verify, fresh token'],
  };

  process.stdout.write(
    `\nMicro: operations per second, median of ${rounds} rounds of ${SLICES_PER_ROUND} interleaved slices (${fresh.position.toLocaleString('en-US')} fresh tokens verified, none twice)\n`,
  );
  printTable([['operation', 'ops/s'], ...Object.entries(ops)]);
  printTable([
    ['ratio', 'value'],
    ...Object.entries(ratios).map(([name, value]) => [
      name,
      formatRatio(value),
    ]),
  ]);
  const freshByAlgorithm = algorithmReaders.reduce(
    (sum, reader) => sum + reader.position,
    0,
  );
  process.stdout.write(
    `\nMicro, per algorithm: TokenService of a module given keys: [{ kid, algorithm, ... }], operations per second in the same slices (${freshByAlgorithm.toLocaleString('en-US')} fresh tokens verified, none twice); informational\n`,
  );
  printTable([
    [
      'algorithm',
      'key',
      'sign ops/s',
      '/ HS256',
      'verify fresh ops/s',
      '/ HS256',
      'verify repeated ops/s',
      '/ HS256',
    ],
    ...BENCH_ALGORITHMS.map((algorithm) => {
      const figures = byAlgorithm[algorithm];
      return [
        algorithm,
        figures.key,
        figures.signOpsPerSecond,
        formatRatio(figures.signOverHs256),
        figures.verifyFreshOpsPerSecond,
        formatRatio(figures.verifyFreshOverHs256),
        figures.verifyRepeatedOpsPerSecond,
        formatRatio(figures.verifyRepeatedOverHs256),
      ];
    }),
  ]);
  return { opsPerSecond: ops, ratios, byAlgorithm };
}
