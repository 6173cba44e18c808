import { Controller, Get, Module, UnauthorizedException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import {
  JwtAuthGuard,
  JwtAuthModule,
  TokenService,
} from '../src/jwt-auth/index.js';

@Controller()
class ProbeController {
  @Get('me')
  me(): void {}
}

/** The most resident memory the tokens may add. */
export const MEMORY_LIMIT_MIB = 64;

/** Tokens through the guard before the baseline is taken, to compile its path. */
const WARM_UP = 10_000;

export interface MemoryResult {
  readonly tokens: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
  /** Resident memory after the tokens, less before them. */
  readonly growthMiB: number;
  /** The same after the first quarter of them, when a bounded cache is full. */
  readonly growthAfterFirstQuarterMiB: number;
  readonly heapUsedGrowthMiB: number;
  readonly limitMiB: number;
}

const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Memory use once it has settled: the lowest resident size of a few full
 * collections a moment apart. Right after a collection, the process may
 * still hold pages it is about to give back (the heap's free pages are
 * released on a background thread), which moves a single reading by tens
 * of MiB either way.
 */
async function settledUsage(): Promise<NodeJS.MemoryUsage> {
  let lowest: NodeJS.MemoryUsage | undefined;
  for (let reading = 0; reading < 3; reading++) {
    collect();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const usage = process.memoryUsage();
    if (lowest === undefined || usage.rss < lowest.rss) lowest = usage;
  }
  return lowest ?? process.memoryUsage();
}

/** Resident memory before and after `count` distinct valid tokens pass through the guard. */
export async function runMemory(count: number): Promise<MemoryResult> {
  process.stdout.write(
    '\nMemory (resident set size once settled: the lowest of three full collections 100 ms apart)\n',
  );
  @Module({
    imports: [
      JwtAuthModule.forRoot({ secret: randomBytes(32).toString('base64url') }),
    ],
    controllers: [ProbeController],
  })
  class ProbeModule {}

  const app = await NestFactory.create(ProbeModule, { logger: false });
  await app.init();
  const guard = app.get(JwtAuthGuard);
  const tokens = app.get(TokenService);
  const handler = (
    ProbeController.prototype as unknown as Record<string, () => void>
  ).me;
  const response = { set: () => undefined, setHeader: () => undefined };

  // Each token is presented twice: verified, then served from the cache,
  // which holds an entry for every one of them.
  const pass = async (sub: number): Promise<void> => {
    const authorization = `Bearer ${await tokens.sign({ sub })}`;
    for (let sighting = 0; sighting < 2; sighting++) {
      const context = new ExecutionContextHost(
        [{ headers: { authorization } }, response],
        ProbeController,
        handler,
      );
      context.setType('http');
      if (!(await guard.canActivate(context)))
        throw new UnauthorizedException();
    }
  };

  for (let i = 0; i < WARM_UP; i++) await pass(i);
  const before = await settledUsage();
  let afterFirstQuarter = before;
  const quarter = Math.max(1, Math.floor(count / 4));
  for (let i = 0; i < count; i++) {
    await pass(WARM_UP + i);
    if ((i + 1) % quarter === 0 && i + 1 < count) {
      const usage = await settledUsage();
      if (i + 1 === quarter) afterFirstQuarter = usage;
      process.stdout.write(
        `  after ${(i + 1).toLocaleString('en-US')}: rss ${mib(usage.rss)} MiB, heap used ${mib(usage.heapUsed)} MiB, heap total ${mib(usage.heapTotal)} MiB, external ${mib(usage.external)} MiB\n`,
      );
    }
  }
  const after = await settledUsage();
  await app.close();

  const result: MemoryResult = {
    tokens: count,
    rssBeforeMiB: mib(before.rss),
    rssAfterMiB: mib(after.rss),
    growthMiB: mib(after.rss - before.rss),
    growthAfterFirstQuarterMiB: mib(after.rss - afterFirstQuarter.rss),
    heapUsedGrowthMiB: mib(after.heapUsed - before.heapUsed),
    limitMiB: MEMORY_LIMIT_MIB,
  };
  process.stdout.write(
    `${count.toLocaleString('en-US')} distinct valid tokens through JwtAuthGuard (each twice), after ${WARM_UP.toLocaleString('en-US')} to warm up: resident memory ${result.rssBeforeMiB} MiB -> ${result.rssAfterMiB} MiB (growth ${result.growthMiB} MiB, limit ${MEMORY_LIMIT_MIB} MiB; ${result.growthAfterFirstQuarterMiB} MiB after the first quarter; heap in use ${result.heapUsedGrowthMiB} MiB)\n`,
  );
  return result;
}
