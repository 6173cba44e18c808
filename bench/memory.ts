import { Controller, Get, UnauthorizedException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
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

export interface MemoryResult {
  readonly tokens: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
  readonly growthMiB: number;
  readonly heapUsedGrowthMiB: number;
}

const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Resident memory before and after `count` distinct valid tokens pass through the guard. */
export async function runMemory(count: number): Promise<MemoryResult> {
  process.stdout.write(
    '\nMemory (resident set size, after a full garbage collection)\n',
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
  const response = { set: () => undefined };

  // Each token is presented twice: the cache keeps a token from its second
  // sighting on, so every one of them takes an entry.
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

  // Warm up until the heap has found its working size and the cache is
  // full: from there on, a leak would show as growth.
  const warmUp = 50_000;
  for (let i = 0; i < warmUp; i++) await pass(i);
  collect();
  const before = process.memoryUsage();
  for (let i = 0; i < count; i++) {
    await pass(warmUp + i);
    if ((i + 1) % 250_000 === 0) {
      collect();
      const { rss, heapUsed } = process.memoryUsage();
      process.stdout.write(
        `  after ${(i + 1).toLocaleString('en-US')}: rss ${mib(rss)} MiB, heap used ${mib(heapUsed)} MiB\n`,
      );
    }
  }
  collect();
  const after = process.memoryUsage();
  await app.close();

  const result = {
    tokens: count,
    rssBeforeMiB: mib(before.rss),
    rssAfterMiB: mib(after.rss),
    growthMiB: mib(after.rss - before.rss),
    heapUsedGrowthMiB: mib(after.heapUsed - before.heapUsed),
  };
  process.stdout.write(
    `${count.toLocaleString('en-US')} more distinct valid tokens through JwtAuthGuard (each twice), after ${warmUp.toLocaleString('en-US')} to warm up: resident memory ${result.rssBeforeMiB} MiB -> ${result.rssAfterMiB} MiB (growth ${result.growthMiB} MiB; heap in use ${result.heapUsedGrowthMiB} MiB)\n`,
  );
  return result;
}
