import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { RevocationOptions } from './jwt-auth/index.js';
import { randomBytes } from 'node:crypto';

/** Thrown when the environment cannot start the demo; names the variable. */
export class DemoConfigError extends Error {
  override readonly name = 'DemoConfigError';

  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `JWT_SECRET`. Without it, a production process refuses to start; any
 * other makes an ephemeral random secret and warns that its tokens die with
 * it. Its strength is checked by `JwtAuthModule` itself.
 */
export function demoJwtSecret(config: ConfigService): string {
  const secret = config.get<string>('JWT_SECRET');
  if (secret !== undefined && secret.length > 0) return secret;
  if (config.get<string>('NODE_ENV') === 'production') {
    throw new DemoConfigError(
      'JWT_SECRET',
      'JWT_SECRET is not set: with NODE_ENV=production the demo needs a secret of at least 32 bytes',
    );
  }
  new Logger('DemoConfig').warn(
    'JWT_SECRET is not set: using an ephemeral random secret, so tokens die with this process. ' +
      'Set JWT_SECRET (at least 32 bytes) to keep them.',
  );
  return randomBytes(32).toString('base64url');
}

/** `PORT`, 3000 when unset. */
export function demoPort(config: ConfigService): number {
  const value = config.get<string>('PORT');
  if (value === undefined || value === '') return 3000;
  const port = /^[0-9]{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new DemoConfigError(
      'PORT',
      'PORT must be a whole number from 0 to 65535',
    );
  }
  return port;
}

/** The HTTP platforms the demo runs on. */
export type DemoHttpAdapter = 'express' | 'fastify';

/** `HTTP_ADAPTER`: `express` (the default) or `fastify`. */
export function demoHttpAdapter(value: string | undefined): DemoHttpAdapter {
  if (value === undefined || value === '' || value === 'express')
    return 'express';
  if (value === 'fastify') return 'fastify';
  throw new DemoConfigError(
    'HTTP_ADAPTER',
    'HTTP_ADAPTER must be "express" or "fastify"',
  );
}

/**
 * `REDIS_URL`: when set, revocations (logout) live in Redis and hold across
 * every instance; otherwise in this process's memory.
 */
export function demoRevocation(
  config: ConfigService,
): RevocationOptions | undefined {
  const url = config.get<string>('REDIS_URL');
  return url === undefined || url === '' ? undefined : { redis: { url } };
}

/** The limits on login attempts, each counted over one window. */
export interface DemoLoginLimits {
  /** Attempts from one client address (an IPv6 one by its /64). @default 60 */
  readonly perIp: number;
  /** Attempts for one username, from anywhere. @default 20 */
  readonly perUsername: number;
  /** The window, in seconds. @default 60 */
  readonly windowSeconds: number;
}

/**
 * `LOGIN_LIMIT_PER_IP`, `LOGIN_LIMIT_PER_USERNAME` and `LOGIN_LIMIT_WINDOW`
 * (seconds): how many login attempts each client address and each username
 * may make in one window.
 */
export function demoLoginLimits(config: ConfigService): DemoLoginLimits {
  return {
    perIp: positiveWholeNumber(config, 'LOGIN_LIMIT_PER_IP', 60),
    perUsername: positiveWholeNumber(config, 'LOGIN_LIMIT_PER_USERNAME', 20),
    windowSeconds: positiveWholeNumber(config, 'LOGIN_LIMIT_WINDOW', 60),
  };
}

function positiveWholeNumber(
  config: ConfigService,
  variable: string,
  fallback: number,
): number {
  const value = config.get<string>(variable);
  if (value === undefined || value === '') return fallback;
  if (!/^[1-9][0-9]{0,8}$/.test(value)) {
    throw new DemoConfigError(
      variable,
      `${variable} must be a whole number from 1 to 999999999`,
    );
  }
  return Number(value);
}
