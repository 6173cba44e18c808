import {
  HttpException,
  HttpStatus,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { demoLoginLimits, type DemoLoginLimits } from '../demo.config.js';
import { clientNetwork } from './client-network.js';

/**
 * The most clients and usernames counted at once. Past it, the one seen
 * least recently is forgotten: a client still trying stays counted.
 */
const MAX_COUNTED = 100_000;

/** One client's or username's attempts in its current window. */
interface AttemptWindow {
  attempts: number;
  /** When the window ends, in milliseconds since the epoch. */
  readonly endsAt: number;
}

/**
 * Counts login attempts per client network (`clientNetwork()`) and per
 * username asked for, each in fixed windows (`demoLoginLimits()`). An
 * attempt over either limit gets a 429 and `Retry-After`: the seconds until
 * the window that refuses it ends (RFC 9110 10.2.3). An attempt counts for
 * its client whatever its answer, then, within the client's limit, for the
 * username it names.
 */
@Injectable()
export class LoginLimitGuard implements CanActivate {
  private readonly limits: DemoLoginLimits;
  private readonly windows = new LRUCache<string, AttemptWindow>({
    max: MAX_COUNTED,
  });

  constructor(
    config: ConfigService,
    private readonly adapter: HttpAdapterHost,
  ) {
    this.limits = demoLoginLimits(config);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<{ ip?: string; body?: unknown }>();
    const username = usernameIn(request.body);
    const wait =
      this.count(`ip ${clientNetwork(request.ip ?? '')}`, this.limits.perIp) ??
      (username === undefined
        ? undefined
        : // Hashed: bounded in size, and no username kept as it was sent.
          this.count(
            `username ${createHash('sha256').update(username).digest('base64url')}`,
            this.limits.perUsername,
          ));
    if (wait === undefined) return true;
    this.adapter.httpAdapter.setHeader(
      http.getResponse(),
      'Retry-After',
      String(wait),
    );
    throw new HttpException(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        message: 'Too many login attempts',
        error: 'Too Many Requests',
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }

  /**
   * Counts an attempt for `key`: `undefined` within `limit`, otherwise the
   * whole seconds until its window ends.
   */
  private count(key: string, limit: number): number | undefined {
    const now = Date.now();
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      window = { attempts: 0, endsAt: now + this.limits.windowSeconds * 1000 };
      this.windows.set(key, window);
    }
    window.attempts += 1;
    return window.attempts <= limit
      ? undefined
      : Math.ceil((window.endsAt - now) / 1000);
  }
}

/** The `username` of a JSON body, if it has a string one. */
function usernameIn(body: unknown): string | undefined {
  const username =
    typeof body === 'object' && body !== null
      ? (body as Record<string, unknown>).username
      : undefined;
  return typeof username === 'string' ? username : undefined;
}
