import 'reflect-metadata';
import {
  Controller,
  Get,
  HttpCode,
  Injectable,
  Module,
  Post,
  Req,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import {
  JwtAuthGuard,
  JwtAuthModule,
  TokenService,
  type AuthenticatedUser,
} from '../src/jwt-auth/index.js';
import { CanonicalModule } from './canonical.module.js';
import { HTTP_KEY_ALGORITHMS, type HttpKeyAlgorithm } from './keys.js';

/*
 * The server the HTTP benchmark drives, in a process of its own: an open
 * route, a route behind JwtAuthGuard, the canonical passport-jwt routes and
 * a route behind a guard that only sets `request.user` (and a logout, for
 * the propagation of revocations between two servers), in one application
 * on one adapter, so that they differ only by their guard. Configured by
 * the bench through BENCH_ADAPTER ('express' or 'fastify'), JWT_SECRET and,
 * for the Redis revocation store, REDIS_URL. With JWT_KEY_ALGORITHM
 * ('RS256' or 'ES256'), JWT_KEY_ID and JWT_PUBLIC_KEY (SPKI PEM), the
 * module verifies with that public key instead of the secret, as an
 * instance that verifies but never signs: the canonical routes keep the
 * secret. It listens on the loopback interface alone, and answers 'cpu' on
 * the IPC channel with its CPU time so far.
 */

const secret = process.env.JWT_SECRET ?? '';
const redisUrl = process.env.REDIS_URL;
const keyAlgorithm = process.env.JWT_KEY_ALGORITHM;
if (
  keyAlgorithm !== undefined &&
  !(HTTP_KEY_ALGORITHMS as readonly string[]).includes(keyAlgorithm)
) {
  throw new Error(`JWT_KEY_ALGORITHM: no such algorithm, ${keyAlgorithm}`);
}

/**
 * The least a guard that authenticates can do: put a user on the request,
 * with no check at all. Its route shows what the framework and the adapter
 * charge any such guard, which no real guard can go below.
 */
@Injectable()
class UserOnlyGuard implements CanActivate {
  private readonly user = Object.freeze({ userId: 1 });

  canActivate(context: ExecutionContext): boolean {
    context.switchToHttp().getRequest<{ user?: object }>().user = this.user;
    return true;
  }
}

@Controller()
class BenchController {
  constructor(private readonly tokens: TokenService) {}

  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @UseGuards(JwtAuthGuard)
  @Get('me')
  me(@Req() request: { user: { userId: number } }): { userId: number } {
    return { userId: request.user.userId };
  }

  /** Revocation's propagation: a logout here, then the other server asked. */
  @UseGuards(JwtAuthGuard)
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() request: { user: AuthenticatedUser }): Promise<void> {
    await this.tokens.revoke(request.user);
  }

  @UseGuards(UserOnlyGuard)
  @Get('floor/me')
  floor(@Req() request: { user: { userId: number } }): { userId: number } {
    return { userId: request.user.userId };
  }
}

@Module({
  imports: [
    JwtAuthModule.forRoot({
      ...(keyAlgorithm === undefined
        ? { secret }
        : {
            keys: [
              {
                kid: process.env.JWT_KEY_ID,
                algorithm: keyAlgorithm as HttpKeyAlgorithm,
                publicKey: process.env.JWT_PUBLIC_KEY,
              },
            ],
          }),
      ...(redisUrl === undefined
        ? {}
        : { revocation: { redis: { url: redisUrl } } }),
    }),
    CanonicalModule.register(secret),
  ],
  controllers: [BenchController],
  providers: [UserOnlyGuard],
})
class BenchModule {}

const logger = ['error', 'warn'] as const;
const app: INestApplication =
  process.env.BENCH_ADAPTER === 'fastify'
    ? await NestFactory.create(BenchModule, new FastifyAdapter(), {
        logger: [...logger],
      })
    : await NestFactory.create(BenchModule, { logger: [...logger] });
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
// The bench asks over its IPC channel for this process's CPU time.
process.on('message', (message) => {
  if (message === 'cpu') process.send?.(process.cpuUsage());
});
process.stdout.write(`Listening on http://127.0.0.1:${port}\n`);
