import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  Controller,
  Get,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CurrentUser,
  JwtAuthGuard,
  JwtAuthModule,
  TokenService,
  type JwtAuthModuleOptions,
} from '../src/jwt-auth/index.js';
import { ADAPTERS, http, startApp } from './support/app.js';
import { cliArgv } from './support/arbitraries.js';
import { describeNeeding } from './support/describe-needing.js';
import { forgeToken, nowSeconds } from './support/jws.js';
import {
  redisUnavailableReason,
  startTestRedis,
  type TestRedis,
} from './support/redis.js';

/** The built command line, as the package's `bin` installs it. `npm test` builds it first. */
const MAIN = fileURLToPath(
  new URL('../dist/jwt-auth/cli/main.js', import.meta.url),
);

const newSecret = (bytes = 32): string =>
  randomBytes(bytes).toString('base64url');
const secret = newSecret();

/** Every secret any run was given: none may ever be printed. */
const secretsInUse = new Set<string>();

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface RunOptions {
  readonly env?: Record<string, string>;
  readonly input?: string;
  readonly cwd?: string;
}

/**
 * Runs the built command line in a clean environment (by default in an
 * empty directory), and checks that no secret it was given reaches its
 * output.
 */
async function cli(
  args: readonly string[],
  { env = { JWT_SECRET: secret }, input, cwd = emptyDir }: RunOptions = {},
): Promise<Run> {
  for (const [name, value] of Object.entries(env)) {
    if (name === 'JWT_SECRET' && value.length >= 8) secretsInUse.add(value);
  }
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // The command line stops reading stdin past its limit: the rest is refused.
  child.stdin?.on('error', () => undefined);
  if (input !== undefined) child.stdin?.end(input);
  const exited = once(child, 'close');
  await exited;
  for (const known of [...secretsInUse, ...fileSecrets]) {
    expect(stdout).not.toContain(known);
    expect(stderr).not.toContain(known);
  }
  return { status: child.exitCode, stdout, stderr };
}

/** Secrets written to env files, never passed through the environment. */
const fileSecrets = new Set<string>();

/** What `verify` prints: two lines of verdict, then the claims as JSON. */
function printedClaims(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.split('\n').slice(2).join('\n')) as Record<
    string,
    unknown
  >;
}

/** A compact JWS: three base64url segments, then the newline `sign` ends with. */
const SIGNED = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/;

/** A Node stack frame: never shown for an expected fault. */
const STACK_FRAME = /^\s+at .+[(:]/m;

let emptyDir: string;

beforeAll(async () => {
  emptyDir = await mkdtemp(join(tmpdir(), 'nest-jwt-auth-cli-'));
});

afterAll(async () => {
  await rm(emptyDir, { recursive: true, force: true });
});

async function verifiedByTokenService(
  token: string,
  options: JwtAuthModuleOptions,
): Promise<unknown> {
  const moduleRef = await Test.createTestingModule({
    imports: [JwtAuthModule.forRoot(options)],
  }).compile();
  try {
    return await moduleRef.get(TokenService).verify(token);
  } finally {
    await moduleRef.close();
  }
}

jest.setTimeout(60_000);

describe('the nest-jwt-auth command line', () => {
  it('has been built, with its shebang', () => {
    expect(existsSync(MAIN)).toBe(true);
    expect(readFileSync(MAIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(
      true,
    );
  });

  it('signs a token that it then verifies, claims and lifetime as asked', async () => {
    const signed = await cli([
      'sign',
      '--sub',
      '42',
      '--ttl',
      '600',
      '--claim',
      'role=admin',
      '--claim',
      'roles:=["a","b"]',
      '--claim',
      'n:=3',
    ]);
    expect(signed).toEqual({
      status: 0,
      stdout: expect.stringMatching(SIGNED),
      stderr: '',
    });
    const token = signed.stdout.trim();

    const verified = await cli(['verify', token]);
    expect(verified.status).toBe(0);
    expect(verified.stderr).toBe('');
    const [verdict, revocation] = verified.stdout.split('\n');
    expect(verdict).toMatch(
      /^valid: user 42, expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/,
    );
    expect(revocation).toBe(
      'revocation: not checked (set REDIS_URL to check the store an application shares)',
    );
    const claims = printedClaims(verified.stdout);
    expect(claims).toEqual({
      role: 'admin',
      roles: ['a', 'b'],
      n: 3,
      sub: '42',
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(600);
    expect(verified.stdout).not.toContain(token);
  });

  it('signs tokens that TokenService configured with the same secret accepts, and no other', async () => {
    const { stdout } = await cli(['sign', '--sub', '7']);
    await expect(
      verifiedByTokenService(stdout.trim(), { secret }),
    ).resolves.toMatchObject({ userId: 7 });
    await expect(
      verifiedByTokenService(stdout.trim(), { secret: newSecret() }),
    ).rejects.toMatchObject({ code: 'invalid_signature' });
  });

  describe.each(ADAPTERS)('against a running app (%s)', (adapter) => {
    @Controller()
    class MeController {
      @UseGuards(JwtAuthGuard)
      @Get('me')
      me(@CurrentUser() userId: number): { userId: number } {
        return { userId };
      }
    }

    let app: INestApplication;

    beforeAll(async () => {
      app = await startApp(
        {
          imports: [
            JwtAuthModule.forRoot({ secret, issuer: 'https://id.example' }),
          ],
          controllers: [MeController],
        },
        adapter,
      );
    });

    afterAll(async () => {
      await app.close();
    });

    it('signs tokens its guard lets through, and verifies the tokens the app signs', async () => {
      const { stdout } = await cli(['sign', '--sub', '9'], {
        env: { JWT_SECRET: secret, JWT_ISSUER: 'https://id.example' },
      });
      await http(app)
        .get('/me')
        .set('Authorization', `Bearer ${stdout.trim()}`)
        .expect(200, { userId: 9 });

      const appToken = await app.get(TokenService).sign({ sub: 5 });
      const verified = await cli(['verify', appToken], {
        env: { JWT_SECRET: secret, JWT_ISSUER: 'https://id.example' },
      });
      expect(verified.status).toBe(0);
      expect(printedClaims(verified.stdout)).toMatchObject({
        sub: '5',
        iss: 'https://id.example',
      });
    });
  });

  describe('refusals: exit status 1, the code and its description on stderr', () => {
    it.each([
      [
        'a token signed with another secret',
        () =>
          forgeToken({
            payload: { sub: '1', exp: nowSeconds() + 60 },
            key: newSecret(),
          }),
        'refused: invalid_signature: The access token signature is invalid\n',
      ],
      [
        'an expired token',
        () =>
          forgeToken({
            payload: {
              sub: '1',
              iat: nowSeconds() - 120,
              exp: nowSeconds() - 60,
            },
            key: secret,
          }),
        'refused: token_expired: The access token expired\n',
      ],
      [
        'a token with alg none',
        () =>
          forgeToken({
            header: { alg: 'none', typ: 'JWT' },
            payload: { sub: '1', exp: nowSeconds() + 60 },
            key: secret,
          }),
        'refused: algorithm_not_allowed: The access token algorithm is not allowed\n',
      ],
      [
        'a token whose sub is not a user id',
        () =>
          forgeToken({
            payload: { sub: '+1', exp: nowSeconds() + 60 },
            key: secret,
          }),
        'refused: invalid_subject: The access token subject is not a valid user id\n',
      ],
      [
        'text that is not a token',
        () => 'not-a-token',
        'refused: token_malformed: The access token is malformed\n',
      ],
    ])('refuses %s', async (_label, token, stderr) => {
      expect(await cli(['verify', token()])).toEqual({
        status: 1,
        stdout: '',
        stderr,
      });
    });

    it('refuses a token for another issuer, as JWT_ISSUER configures', async () => {
      const { stdout: token } = await cli(['sign', '--sub', '1'], {
        env: { JWT_SECRET: secret, JWT_ISSUER: 'https://a.example' },
      });
      expect(
        await cli(['verify', token.trim()], {
          env: { JWT_SECRET: secret, JWT_ISSUER: 'https://b.example' },
        }),
      ).toEqual({
        status: 1,
        stdout: '',
        stderr:
          'refused: claim_mismatch: The access token was not issued for this service\n',
      });
    });
  });

  describe('the token on standard input', () => {
    it.each([[['verify']], [['verify', '-']]])(
      'is read, trimmed, with %j',
      async (args) => {
        const { stdout: token } = await cli(['sign', '--sub', '3']);
        const verified = await cli(args, { input: `  ${token}\n\n` });
        expect(verified.status).toBe(0);
        expect(printedClaims(verified.stdout)).toMatchObject({ sub: '3' });
      },
    );

    it('is refused when empty, as a usage error', async () => {
      const run = await cli(['verify'], { input: ' \n' });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^nest-jwt-auth: no token given on stdin\n/);
    });

    it('is refused as malformed when longer than any token may be, without reading it all', async () => {
      const run = await cli(['verify'], { input: 'a'.repeat(2 << 20) });
      expect(run).toEqual({
        status: 1,
        stdout: '',
        stderr: 'refused: token_malformed: The access token is malformed\n',
      });
    });
  });

  describe('configuration', () => {
    it('refuses to run without JWT_SECRET: exit status 2 and one line', async () => {
      expect(await cli(['sign', '--sub', '1'], { env: {} })).toEqual({
        status: 2,
        stdout: '',
        stderr:
          'nest-jwt-auth: JWT_SECRET is missing: set it in the environment, or in an env file named with --dotenv\n',
      });
    });

    it.each([
      [
        'a weak JWT_SECRET',
        { JWT_SECRET: 'weak-secret-of-31-bytes-1234567' },
        'JWT_SECRET is too weak for HS256: it has 31 bytes and needs at least 32 (RFC 7518 3.2)',
      ],
      [
        'a JWT_SECRET too short for JWT_ALGORITHM',
        { JWT_SECRET: secret, JWT_ALGORITHM: 'HS512' },
        'JWT_SECRET is too weak for HS512: it has 43 bytes and needs at least 64 (RFC 7518 3.2)',
      ],
      [
        'an unknown JWT_ALGORITHM',
        { JWT_SECRET: secret, JWT_ALGORITHM: 'RS256' },
        'JWT_ALGORITHM must be one of HS256, HS384, HS512',
      ],
      [
        'a JWT_EXPIRES_IN that is not a number',
        { JWT_SECRET: secret, JWT_EXPIRES_IN: '1h' },
        'JWT_EXPIRES_IN must be a positive whole number of seconds',
      ],
    ])('refuses %s, naming it', async (_label, env, message) => {
      for (const args of [
        ['sign', '--sub', '1'],
        ['verify', 'a.b.c'],
      ]) {
        expect(await cli(args, { env })).toEqual({
          status: 2,
          stdout: '',
          stderr: `nest-jwt-auth: ${message}\n`,
        });
      }
      expect((await cli(['sign', '--sub', '1'], { env })).stderr).not.toContain(
        'weak-secret-of-31-bytes',
      );
    });

    it('honours JWT_EXPIRES_IN: --ttl past it is a usage error, and it is the default lifetime', async () => {
      const env = { JWT_SECRET: secret, JWT_EXPIRES_IN: '60' };
      const tooLong = await cli(['sign', '--sub', '1', '--ttl', '61'], { env });
      expect(tooLong.status).toBe(2);
      expect(tooLong.stderr).toMatch(
        /^nest-jwt-auth: --ttl must be at most 60 seconds: JWT_EXPIRES_IN sets the longest lifetime\n/,
      );
      const { stdout: token } = await cli(['sign', '--sub', '1'], { env });
      const claims = printedClaims(
        (await cli(['verify', token.trim()], { env })).stdout,
      );
      expect((claims.exp as number) - (claims.iat as number)).toBe(60);
    });

    describe('from env files', () => {
      let dir: string;
      const fileSecret = newSecret();
      const otherFileSecret = newSecret();

      beforeAll(async () => {
        fileSecrets.add(fileSecret);
        fileSecrets.add(otherFileSecret);
        dir = await mkdtemp(join(tmpdir(), 'nest-jwt-auth-cli-'));
        await writeFile(
          join(dir, '.env'),
          `JWT_SECRET=${fileSecret}\nJWT_ISSUER=from-dot-env\n`,
        );
        await writeFile(
          join(dir, 'other.env'),
          `JWT_SECRET="${otherFileSecret}"\n`,
        );
      });

      afterAll(async () => {
        await rm(dir, { recursive: true, force: true });
      });

      const signedIn = async (
        env: Record<string, string>,
        args: string[] = [],
      ) => {
        const run = await cli(['sign', '--sub', '1', ...args], {
          env,
          cwd: dir,
        });
        expect(run.status).toBe(0);
        return run.stdout.trim();
      };

      it('does not read .env in the working directory without --dotenv', async () => {
        expect(
          await cli(['sign', '--sub', '1'], { env: {}, cwd: dir }),
        ).toEqual({
          status: 2,
          stdout: '',
          stderr:
            'nest-jwt-auth: JWT_SECRET is missing: set it in the environment, or in an env file named with --dotenv\n',
        });
        const token = await signedIn({ JWT_SECRET: secret });
        const verified = await cli(['verify', token], { cwd: dir });
        expect(verified.status).toBe(0);
        expect(printedClaims(verified.stdout)).not.toHaveProperty('iss');
      });

      it('reads the file --dotenv names, relative to the working directory or absolute', async () => {
        const token = await signedIn({}, ['--dotenv', '.env']);
        await expect(
          verifiedByTokenService(token, {
            secret: fileSecret,
            issuer: 'from-dot-env',
          }),
        ).resolves.toMatchObject({ userId: 1 });
        const other = await signedIn({}, ['--dotenv', 'other.env']);
        await expect(
          verifiedByTokenService(other, { secret: otherFileSecret }),
        ).resolves.toMatchObject({ userId: 1 });
        const verified = await cli(
          ['verify', `--dotenv=${join(dir, 'other.env')}`, other],
          { env: {} },
        );
        expect(verified.status).toBe(0);
      });

      it('lets a variable of the environment win over the --dotenv file', async () => {
        const token = await signedIn({ JWT_SECRET: secret }, [
          '--dotenv',
          '.env',
        ]);
        await expect(
          verifiedByTokenService(token, { secret, issuer: 'from-dot-env' }),
        ).resolves.toMatchObject({ userId: 1 });
        await expect(
          verifiedByTokenService(token, {
            secret: fileSecret,
            issuer: 'from-dot-env',
          }),
        ).rejects.toMatchObject({ code: 'invalid_signature' });
      });

      it('refuses a --dotenv file that does not exist, and names it when JWT_SECRET is missing from it', async () => {
        expect(
          await cli(['sign', '--sub', '1', '--dotenv', 'missing.env'], {
            env: {},
            cwd: dir,
          }),
        ).toEqual({
          status: 2,
          stdout: '',
          stderr:
            'nest-jwt-auth: cannot read the env file "missing.env" (ENOENT)\n',
        });
        await writeFile(join(dir, 'no-secret.env'), 'JWT_ISSUER=x\n');
        expect(
          (
            await cli(['sign', '--sub', '1', '--dotenv', 'no-secret.env'], {
              env: {},
              cwd: dir,
            })
          ).stderr,
        ).toBe(
          'nest-jwt-auth: JWT_SECRET is missing: set it in the environment or in no-secret.env\n',
        );
      });
    });
  });

  describe('usage', () => {
    it.each([[['--help']], [['-h']], [['help']]])(
      'prints the manual on stdout for %j',
      async (args) => {
        const run = await cli(args, { env: {} });
        expect(run.status).toBe(0);
        expect(run.stderr).toBe('');
        expect(run.stdout).toMatch(/^Usage:\n {2}nest-jwt-auth sign --sub/);
        expect(run.stdout).toMatch(
          /^Exit status:\n {2}0 {2}.*\n {2}1 {2}.*\n {2}2 {2}.*\n {2}3 {2}/m,
        );
      },
    );

    it('prints the package version', async () => {
      const manifest = JSON.parse(
        readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
      ) as { version: string };
      expect(await cli(['--version'], { env: {} })).toEqual({
        status: 0,
        stdout: `${manifest.version}\n`,
        stderr: '',
      });
    });

    it.each([
      [[], 'no command given'],
      [['sign'], 'sign needs --sub <user id>'],
      [['sign', '--sub', 'alice'], '--sub must be a user id'],
      [
        ['sign', '--sub', '1', '--ttl', '1.5'],
        '--ttl must be a positive whole number of seconds',
      ],
      [
        ['sign', '--sub', '1', '--claim', 'a=1', '--claim', 'a=2'],
        'claim "a" is given twice',
      ],
      [
        ['sign', '--sub', '1', '--claim', 'exp:=1'],
        'claim "exp" is set by the module',
      ],
      [['sign', '--sub', '1', '--verbose'], "Unknown option '--verbose'"],
      [['verify', '--sub', '1'], '--sub is not an option of verify'],
      [['decode', 'a.b.c'], 'unknown command "decode"'],
    ])(
      'answers %j with exit status 2, the fault and the synopsis on stderr',
      async (args, fault) => {
        const run = await cli(args);
        expect(run.status).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toContain(`nest-jwt-auth: ${fault}`);
        expect(run.stderr).toMatch(/\nUsage:\n {2}nest-jwt-auth sign/);
        expect(run.stderr).not.toMatch(STACK_FRAME);
      },
    );

    it('answers any argv with status 0, 1 or 2, never a stack trace or the secret', async () => {
      await fc.assert(
        fc.asyncProperty(cliArgv(6), async (args) => {
          const run = await cli(args);
          expect([0, 1, 2]).toContain(run.status);
          expect(run.stderr).not.toMatch(STACK_FRAME);
          expect(run.stdout).not.toMatch(STACK_FRAME);
        }),
        { numRuns: 30, seed: 20_261_127 },
      );
    }, 180_000);
  });

  describe('revocation', () => {
    it('fails with exit status 3 when the Redis of REDIS_URL does not answer', async () => {
      const { stdout: token } = await cli(['sign', '--sub', '1'], {
        env: { JWT_SECRET: secret, REDIS_URL: 'redis://127.0.0.1:1' },
      });
      const run = await cli(['verify', token.trim()], {
        env: { JWT_SECRET: secret, REDIS_URL: 'redis://127.0.0.1:1' },
      });
      expect(run.status).toBe(3);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(
        /^nest-jwt-auth: cannot tell whether the token is revoked: .+\n$/,
      );
    });

    describeNeeding(
      'in the Redis an application shares (REDIS_URL)',
      { needs: 'a Redis server', reason: redisUnavailableReason() },
      () => {
        let redis: TestRedis;

        beforeAll(async () => {
          redis = await startTestRedis();
        });

        afterAll(async () => {
          await redis.stop().catch(() => undefined);
        });

        it('reports a token valid until the application revokes it, then refuses it', async () => {
          const env = { JWT_SECRET: secret, REDIS_URL: redis.url };
          const { stdout } = await cli(['sign', '--sub', '11'], { env });
          const token = stdout.trim();
          const valid = await cli(['verify', token], { env });
          expect(valid.status).toBe(0);
          expect(valid.stdout.split('\n')[1]).toBe(
            'revocation: not revoked (checked in Redis (REDIS_URL))',
          );

          const moduleRef = await Test.createTestingModule({
            imports: [
              JwtAuthModule.forRoot({
                secret,
                revocation: { redis: { url: redis.url } },
              }),
            ],
          }).compile();
          await moduleRef.init();
          try {
            await moduleRef.get(TokenService).revoke(token);
          } finally {
            await moduleRef.close();
          }

          expect(await cli(['verify', token], { env })).toEqual({
            status: 1,
            stdout: '',
            stderr:
              'refused: token_revoked: The access token has been revoked\n',
          });
        });
      },
    );
  });
});
