import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import { resolveJwtAuthOptions } from '../jwt-auth.options.js';
import { CliError } from './cli.error.js';
import {
  describeOptionsError,
  loadEnvironment,
  moduleOptionsFromEnvironment,
  type Environment,
} from './environment.js';

const secret = randomBytes(32).toString('base64url');

describe('loadEnvironment', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nest-jwt-auth-cli-'));
    await writeFile(
      join(dir, '.env'),
      '# comment\nJWT_SECRET=from-dot-env\nJWT_ISSUER="https://id.example"\nexport JWT_AUDIENCE=orders\n',
    );
    await writeFile(join(dir, 'other.env'), 'JWT_SECRET=from-other\n');
    await mkdir(join(dir, 'a-directory'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads only the process environment without --dotenv, even beside a .env', () => {
    expect(loadEnvironment({ A: 'b' }, dir, undefined)).toEqual({ A: 'b' });
  });

  it('reads the --dotenv file with Node’s parser', () => {
    expect(loadEnvironment({}, dir, '.env')).toEqual({
      JWT_SECRET: 'from-dot-env',
      JWT_ISSUER: 'https://id.example',
      JWT_AUDIENCE: 'orders',
    });
  });

  it('lets a variable of the process win over the file, even an empty one', () => {
    const env = loadEnvironment(
      { JWT_SECRET: 'from-process', JWT_ISSUER: '' },
      dir,
      '.env',
    );
    expect(env.JWT_SECRET).toBe('from-process');
    expect(env.JWT_ISSUER).toBe('');
    expect(env.JWT_AUDIENCE).toBe('orders');
  });

  it('reads --dotenv relative to the working directory, or absolute', () => {
    expect(loadEnvironment({}, dir, 'other.env')).toEqual({
      JWT_SECRET: 'from-other',
    });
    expect(loadEnvironment({}, '/', join(dir, 'other.env'))).toEqual({
      JWT_SECRET: 'from-other',
    });
  });

  it.each([
    ['a missing --dotenv file', 'missing.env', /"missing.env" \(ENOENT\)/],
    ['a directory', 'a-directory', /"a-directory" \(EISDIR\)/],
  ])('refuses %s as a configuration error', (_label, file, message) => {
    let fault: unknown;
    try {
      loadEnvironment({}, dir, file);
    } catch (error) {
      fault = error;
    }
    expect(fault).toBeInstanceOf(CliError);
    expect((fault as CliError).code).toBe('configuration');
    expect((fault as CliError).message).toMatch(message);
  });
});

describe('moduleOptionsFromEnvironment', () => {
  const options = (env: Environment, revocation = true) =>
    moduleOptionsFromEnvironment(env, undefined, { revocation });

  it('maps every variable to its option', () => {
    expect(
      options({
        JWT_SECRET: secret,
        JWT_ALGORITHM: 'HS256',
        JWT_EXPIRES_IN: '3600',
        JWT_ISSUER: 'https://id.example',
        JWT_AUDIENCE: 'orders, billing',
        JWT_CLOCK_TOLERANCE: '5',
        REDIS_URL: 'redis://127.0.0.1:6379',
      }),
    ).toEqual({
      secret,
      algorithm: 'HS256',
      expiresIn: 3600,
      issuer: 'https://id.example',
      audience: ['orders', 'billing'],
      clockTolerance: 5,
      revocation: { redis: { url: 'redis://127.0.0.1:6379', mirror: false } },
    });
  });

  it('leaves unset and empty variables to the module defaults', () => {
    expect(
      options({
        JWT_SECRET: secret,
        JWT_ALGORITHM: '',
        JWT_EXPIRES_IN: '',
        JWT_ISSUER: '',
        JWT_AUDIENCE: '',
        REDIS_URL: '',
      }),
    ).toEqual({ secret });
  });

  it('connects no revocation store when the command does not need one', () => {
    expect(
      options({ JWT_SECRET: secret, REDIS_URL: 'redis://127.0.0.1' }, false),
    ).toEqual({ secret });
  });

  it.each([
    ['unset', {}],
    ['empty', { JWT_SECRET: '' }],
  ])('refuses a JWT_SECRET %s, saying where to set it', (_label, env) => {
    expect(() =>
      moduleOptionsFromEnvironment(env, undefined, { revocation: true }),
    ).toThrow(
      new CliError(
        'configuration',
        'JWT_SECRET is missing: set it in the environment, or in an env file named with --dotenv',
      ),
    );
    expect(() =>
      moduleOptionsFromEnvironment(env, 'conf/jwt.env', { revocation: true }),
    ).toThrow(
      new CliError(
        'configuration',
        'JWT_SECRET is missing: set it in the environment or in conf/jwt.env',
      ),
    );
  });

  // Non-digits become NaN, which the module's own validation refuses.
  it.each(['-5', '1.5', '1e3', 'ten', ' 60'])(
    'hands JWT_EXPIRES_IN %j to the module as a non-number',
    (value) => {
      const mapped = options({ JWT_SECRET: secret, JWT_EXPIRES_IN: value });
      expect(mapped.expiresIn).toBeNaN();
      expect(() => resolveJwtAuthOptions(mapped)).toThrow(JwtAuthOptionsError);
    },
  );
});

describe('describeOptionsError', () => {
  function describeFault(env: Environment): string {
    try {
      resolveJwtAuthOptions(
        moduleOptionsFromEnvironment(env, undefined, { revocation: true }),
      );
    } catch (error) {
      expect(error).toBeInstanceOf(JwtAuthOptionsError);
      return describeOptionsError(error as JwtAuthOptionsError);
    }
    throw new Error('the options were accepted');
  }

  it.each([
    [
      { JWT_SECRET: 'q'.repeat(31) },
      'JWT_SECRET is too weak for HS256: it has 31 bytes and needs at least 32 (RFC 7518 3.2)',
    ],
    [
      { JWT_SECRET: secret, JWT_ALGORITHM: 'HS512' },
      'JWT_SECRET is too weak for HS512: it has 43 bytes and needs at least 64 (RFC 7518 3.2)',
    ],
    [
      { JWT_SECRET: secret, JWT_ALGORITHM: 'none' },
      'JWT_ALGORITHM must be one of HS256, HS384, HS512',
    ],
    [
      { JWT_SECRET: secret, JWT_EXPIRES_IN: '0' },
      'JWT_EXPIRES_IN must be a positive whole number of seconds',
    ],
    [
      { JWT_SECRET: secret, JWT_CLOCK_TOLERANCE: 'x' },
      'JWT_CLOCK_TOLERANCE must be a non-negative whole number of seconds',
    ],
    [
      { JWT_SECRET: secret, JWT_AUDIENCE: 'orders,' },
      'JWT_AUDIENCE must be a non-empty string or a non-empty array of them',
    ],
    [
      { JWT_SECRET: secret, REDIS_URL: 'http://cache' },
      'REDIS_URL must be a redis:// or rediss:// URL',
    ],
  ])('names the variable for %j', (env, message) => {
    const described = describeFault(env);
    expect(described).toBe(message);
    expect(described).not.toContain(env.JWT_SECRET);
  });

  it('keeps the message of an option it does not know', () => {
    expect(
      describeOptionsError(new JwtAuthOptionsError('realm', 'bad realm')),
    ).toBe('bad realm');
  });

  it('prefixes a message that does not start with the option', () => {
    expect(
      describeOptionsError(
        new JwtAuthOptionsError('revocation.redis.url', 'needs ioredis'),
      ),
    ).toBe('REDIS_URL: needs ioredis');
  });
});
