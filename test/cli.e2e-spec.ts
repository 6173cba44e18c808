import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  Controller,
  Get,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { calculateJwkThumbprint } from 'jose';
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  type JwtKey,
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

/** A secret written to a file only, and remembered as one never to print. */
function newFileSecret(): string {
  const made = newSecret();
  fileSecrets.add(made);
  return made;
}

/** An entry of `keys`, as `keys generate --json` prints it. */
interface GeneratedEntry {
  readonly kid: string;
  readonly algorithm: string;
  readonly privateKey?: string;
  readonly publicKey?: string;
  readonly secret?: string;
}

/** The PEM blocks of a text, in order. */
function pemBlocks(text: string): string[] {
  return (
    text.match(/-----BEGIN [A-Z ]+-----\n[^-]+-----END [A-Z ]+-----\n/g) ?? []
  );
}

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
          'nest-jwt-auth: JWT_SECRET is missing: set it (or JWT_KEYS_FILE) in the environment, or in an env file named with --dotenv\n',
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
            'nest-jwt-auth: JWT_SECRET is missing: set it (or JWT_KEYS_FILE) in the environment, or in an env file named with --dotenv\n',
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
          'nest-jwt-auth: JWT_SECRET is missing: set it (or JWT_KEYS_FILE) in the environment or in no-secret.env\n',
        );
      });
    });
  });

  describe('keys', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'nest-jwt-auth-cli-keys-'));
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    /** A key the command line generated: never to be printed again. */
    async function generated(
      algorithm: string,
      ...more: string[]
    ): Promise<GeneratedEntry> {
      const run = await cli(
        ['keys', 'generate', '--algorithm', algorithm, '--json', ...more],
        { env: {} },
      );
      expect(run.status).toBe(0);
      expect(run.stderr).toBe('');
      const entry = JSON.parse(run.stdout) as GeneratedEntry;
      const secretText = entry.privateKey ?? entry.secret ?? '';
      fileSecrets.add(secretText);
      // The first line of a PEM's base64: any print of the key shows it.
      if (entry.privateKey !== undefined)
        fileSecrets.add(entry.privateKey.split('\n')[1] ?? '');
      return entry;
    }

    /** Writes `entries` as a keys file in the temp directory; returns its name. */
    async function keysFile(
      name: string,
      entries: readonly unknown[],
    ): Promise<string> {
      await writeFile(join(dir, name), JSON.stringify(entries, null, 2));
      return name;
    }

    const thumbprint = (publicKeyPem: string): Promise<string> =>
      calculateJwkThumbprint(
        createPublicKey(publicKeyPem).export({ format: 'jwk' }),
        'sha256',
      );

    const headerOf = (token: string): Record<string, unknown> =>
      JSON.parse(
        Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'),
      ) as Record<string, unknown>;

    describe('generate', () => {
      it.each([
        ['ES256', 'prime256v1'],
        ['ES384', 'secp384r1'],
        ['ES512', 'secp521r1'],
      ])(
        'prints a key pair for %s on %s as PEM, its kid the JWK thumbprint on stderr',
        async (algorithm, curve) => {
          const run = await cli(
            ['keys', 'generate', '--algorithm', algorithm],
            {
              env: {},
            },
          );
          expect(run.status).toBe(0);
          const [privatePem, publicPem] = pemBlocks(run.stdout);
          const privateKey = createPrivateKey(privatePem);
          const publicKey = createPublicKey(publicPem);
          expect(privateKey.asymmetricKeyType).toBe('ec');
          expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe(curve);
          expect(publicKey.equals(createPublicKey(privateKey))).toBe(true);
          expect(run.stderr).toBe(`kid: ${await thumbprint(publicPem)}\n`);
        },
      );

      it.each([
        ['RS256', [], 2048],
        ['PS384', ['--bits', '3072'], 3072],
      ] as const)(
        'prints a key pair for %s %j of %d bits as PKCS#8 then SPKI PEM',
        async (algorithm, bits, modulusLength) => {
          const run = await cli(
            ['keys', 'generate', '--algorithm', algorithm, ...bits],
            { env: {} },
          );
          expect(run.status).toBe(0);
          expect(run.stdout).toMatch(
            /^-----BEGIN PRIVATE KEY-----\n[^-]+-----END PRIVATE KEY-----\n-----BEGIN PUBLIC KEY-----\n[^-]+-----END PUBLIC KEY-----\n$/,
          );
          const [privatePem, publicPem] = pemBlocks(run.stdout);
          const publicKey = createPublicKey(publicPem);
          expect(publicKey.asymmetricKeyType).toBe('rsa');
          expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(
            modulusLength,
          );
          expect(
            publicKey.equals(createPublicKey(createPrivateKey(privatePem))),
          ).toBe(true);
        },
      );

      it.each([
        ['HS256', 32],
        ['HS384', 48],
        ['HS512', 64],
      ])(
        'prints a secret for %s of %d random bytes alone on a line',
        async (algorithm, bytes) => {
          const run = await cli(
            ['keys', 'generate', '--algorithm', algorithm],
            {
              env: {},
            },
          );
          expect(run.status).toBe(0);
          expect(run.stdout).toMatch(/^[A-Za-z0-9_-]+\n$/);
          expect(Buffer.from(run.stdout.trim(), 'base64url')).toHaveLength(
            bytes,
          );
          expect(run.stderr).toMatch(/^kid: [A-Za-z0-9_-]{22}\n$/);
        },
      );

      it('prints with --json an entry of keys, named by its thumbprint or the --kid given', async () => {
        const es = await generated('ES256');
        expect(Object.keys(es)).toEqual([
          'kid',
          'algorithm',
          'privateKey',
          'publicKey',
        ]);
        expect(es.algorithm).toBe('ES256');
        expect(es.kid).toBe(await thumbprint(es.publicKey ?? ''));
        const rs = await generated('RS256');
        expect(rs.kid).toBe(await thumbprint(rs.publicKey ?? ''));
        const hs = await generated('HS512', '--kid', 'shared-2026');
        expect(Object.keys(hs)).toEqual(['kid', 'algorithm', 'secret']);
        expect(hs.kid).toBe('shared-2026');
        expect(Buffer.from(hs.secret ?? '', 'base64url')).toHaveLength(64);
      });

      it('refuses --bits below 2048, and for a key of fixed size', async () => {
        for (const [args, fault] of [
          [['--algorithm', 'RS256', '--bits', '1024'], '--bits must be'],
          [['--algorithm', 'ES256', '--bits', '4096'], '--bits goes with'],
        ] as const) {
          const run = await cli(['keys', 'generate', ...args], { env: {} });
          expect(run.status).toBe(2);
          expect(run.stdout).toBe('');
          expect(run.stderr).toContain(`nest-jwt-auth: ${fault}`);
        }
      });
    });

    describe('sign and verify with JWT_KEYS_FILE', () => {
      it('signs with generated ES256 and RS256 keys, the first by default, and verifies, naming the key', async () => {
        const es = await generated('ES256');
        const rs = await generated('RS256');
        const env = { JWT_KEYS_FILE: await keysFile('both.json', [es, rs]) };

        const signed = await cli(['sign', '--sub', '21'], { env, cwd: dir });
        expect(signed).toEqual({
          status: 0,
          stdout: expect.stringMatching(SIGNED),
          stderr: '',
        });
        const token = signed.stdout.trim();
        expect(headerOf(token)).toMatchObject({ alg: 'ES256', kid: es.kid });
        const verified = await cli(['verify', token], { env, cwd: dir });
        expect(verified.status).toBe(0);
        expect(verified.stdout.split('\n')[0]).toMatch(
          new RegExp(`^valid: user 21, expires \\S+Z, key ${es.kid}$`),
        );
        expect(verified.stdout.split('\n')[1]).toBe(
          'revocation: not checked (set REDIS_URL to check the store an application shares)',
        );

        // Another service, with the public keys alone, accepts it.
        await expect(
          verifiedByTokenService(token, {
            keys: [es, rs].map(({ kid, algorithm, publicKey }) => ({
              kid,
              algorithm,
              publicKey,
            })) as JwtKey[],
          }),
        ).resolves.toMatchObject({ userId: 21 });

        for (const [args, extra] of [
          [['--kid', rs.kid], {}],
          [[], { JWT_SIGNING_KEY_ID: rs.kid }],
        ] as const) {
          const byRs = await cli(['sign', '--sub', '22', ...args], {
            env: { ...env, ...extra },
            cwd: dir,
          });
          expect(byRs.status).toBe(0);
          expect(headerOf(byRs.stdout.trim())).toMatchObject({
            alg: 'RS256',
            kid: rs.kid,
          });
          const valid = await cli(['verify', byRs.stdout.trim()], {
            env,
            cwd: dir,
          });
          expect(valid.stdout.split('\n')[0]).toMatch(/, key \S+$/);
          expect(valid.stdout.split('\n')[0]).toContain(`key ${rs.kid}`);
        }
      });

      it('keeps a token valid when a key is added, and refuses it as unknown_key once its key is removed', async () => {
        const first = await generated('ES256');
        const second = await generated('ES256');
        const before = await cli(['sign', '--sub', '8'], {
          env: { JWT_KEYS_FILE: await keysFile('rotation.json', [first]) },
          cwd: dir,
        });
        expect(before.status).toBe(0);
        const oldToken = before.stdout.trim();

        // The new key joins, and signs; the old one still verifies.
        await keysFile('rotation.json', [second, first]);
        const env = { JWT_KEYS_FILE: 'rotation.json' };
        const after = await cli(['sign', '--sub', '8'], { env, cwd: dir });
        const newToken = after.stdout.trim();
        expect(headerOf(newToken).kid).toBe(second.kid);
        const old = await cli(['verify', oldToken], { env, cwd: dir });
        expect(old.status).toBe(0);
        expect(old.stdout.split('\n')[0]).toContain(`key ${first.kid}`);

        // The old key is removed: its tokens are refused, the new ones are not.
        await keysFile('rotation.json', [second]);
        expect(await cli(['verify', oldToken], { env, cwd: dir })).toEqual({
          status: 1,
          stdout: '',
          stderr:
            'refused: unknown_key: The access token signing key is unknown\n',
        });
        expect(
          (await cli(['verify', newToken], { env, cwd: dir })).status,
        ).toBe(0);
      });

      it('signs with a generated HMAC secret of the keys file', async () => {
        const hs = await generated('HS384', '--kid', 'h1');
        const env = { JWT_KEYS_FILE: await keysFile('hmac.json', [hs]) };
        const signed = await cli(['sign', '--sub', '3'], { env, cwd: dir });
        expect(headerOf(signed.stdout.trim())).toMatchObject({
          alg: 'HS384',
          kid: 'h1',
        });
        await expect(
          verifiedByTokenService(signed.stdout.trim(), {
            keys: [hs] as JwtKey[],
          }),
        ).resolves.toMatchObject({ userId: 3 });
      });

      it('reads the file relative to the working directory, or from an absolute path', async () => {
        const es = await generated('ES256');
        await keysFile('relative.json', [es]);
        const absolute = await cli(['sign', '--sub', '1'], {
          env: { JWT_KEYS_FILE: join(dir, 'relative.json') },
        });
        expect(absolute.status).toBe(0);
        const elsewhere = await cli(['sign', '--sub', '1'], {
          env: { JWT_KEYS_FILE: 'relative.json' },
        });
        expect(elsewhere).toEqual({
          status: 2,
          stdout: '',
          stderr:
            'nest-jwt-auth: JWT_KEYS_FILE "relative.json" cannot be read (ENOENT)\n',
        });
      });

      it.each([
        [
          'a file that is not JSON, never quoting it',
          'broken.json',
          () =>
            `[{"kid":"h","algorithm":"HS256","secret":"${newFileSecret()}",}]`,
          'JWT_KEYS_FILE "broken.json" is not JSON',
        ],
        [
          'a file that is not an array',
          'object.json',
          () => JSON.stringify({ keys: [] }),
          `JWT_KEYS_FILE "object.json" must hold a JSON array of keys, each an entry of the module's "keys" option`,
        ],
        [
          'an empty array',
          'empty.json',
          () => '[]',
          'JWT_KEYS_FILE must be a non-empty array of keys',
        ],
        [
          'an entry whose public key is not PEM',
          'bad-pem.json',
          () =>
            JSON.stringify([
              { kid: 'a', algorithm: 'ES256', publicKey: 'not a key' },
            ]),
          'JWT_KEYS_FILE: keys[0].publicKey is not a readable PEM public key',
        ],
        [
          'an HMAC secret too short for its algorithm',
          'weak.json',
          () =>
            JSON.stringify([
              { kid: 'a', algorithm: 'HS512', secret: newFileSecret() },
            ]),
          'JWT_KEYS_FILE: keys[0].secret is too weak for HS512: it has 43 bytes and needs at least 64 (RFC 7518 3.2)',
        ],
      ])(
        'refuses %s: exit status 2 and one line naming JWT_KEYS_FILE',
        async (_label, name, content, message) => {
          await writeFile(join(dir, name), content());
          for (const args of [
            ['sign', '--sub', '1'],
            ['verify', 'a.b.c'],
          ]) {
            expect(
              await cli(args, { env: { JWT_KEYS_FILE: name }, cwd: dir }),
            ).toEqual({
              status: 2,
              stdout: '',
              stderr: `nest-jwt-auth: ${message}\n`,
            });
          }
        },
      );

      it('refuses JWT_KEYS_FILE beside JWT_SECRET, a --kid of no key, and a file that cannot sign', async () => {
        const es = await generated('ES256');
        const name = await keysFile('one.json', [es]);
        expect(
          await cli(['sign', '--sub', '1'], {
            env: { JWT_SECRET: secret, JWT_KEYS_FILE: name },
            cwd: dir,
          }),
        ).toEqual({
          status: 2,
          stdout: '',
          stderr:
            'nest-jwt-auth: JWT_SECRET and JWT_KEYS_FILE exclude each other: set one\n',
        });

        const unknownKid = await cli(['sign', '--sub', '1', '--kid', 'nope'], {
          env: { JWT_KEYS_FILE: name },
          cwd: dir,
        });
        expect(unknownKid.status).toBe(2);
        expect(unknownKid.stderr).toMatch(
          /^nest-jwt-auth: --kid names no key of JWT_KEYS_FILE\nUsage:\n/,
        );

        const publicOnly = await keysFile('public-only.json', [
          { kid: es.kid, algorithm: es.algorithm, publicKey: es.publicKey },
        ]);
        expect(
          await cli(['sign', '--sub', '1'], {
            env: { JWT_KEYS_FILE: publicOnly },
            cwd: dir,
          }),
        ).toEqual({
          status: 2,
          stdout: '',
          stderr:
            'nest-jwt-auth: JWT_KEYS_FILE has no key that signs: sign needs a private key or a secret\n',
        });
        const signed = await cli(['sign', '--sub', '1'], {
          env: { JWT_KEYS_FILE: name },
          cwd: dir,
        });
        expect(
          (
            await cli(['verify', signed.stdout.trim()], {
              env: { JWT_KEYS_FILE: publicOnly },
              cwd: dir,
            })
          ).status,
        ).toBe(0);
      });
    });

    describe('verify with JWT_JWKS_URI', () => {
      const issuer = 'https://id.example';
      const audience = 'orders';
      let server: Server;
      let jwksUri: string;
      let provider: GeneratedEntry;

      beforeAll(async () => {
        provider = await generated('RS256');
        const jwk = {
          ...createPublicKey(provider.publicKey ?? '').export({
            format: 'jwk',
          }),
          kid: provider.kid,
          alg: 'RS256',
          use: 'sig',
        };
        server = createServer((request, response) => {
          if (request.url !== '/jwks.json') {
            response.writeHead(404).end();
            return;
          }
          response
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ keys: [jwk] }));
        });
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const { port } = server.address() as AddressInfo;
        jwksUri = `http://127.0.0.1:${port}/jwks.json`;
      });

      afterAll(async () => {
        server.close();
        await once(server, 'close');
      });

      it("verifies a provider's token by the keys it publishes, and signs none", async () => {
        const moduleRef = await Test.createTestingModule({
          imports: [
            JwtAuthModule.forRoot({
              keys: [provider] as JwtKey[],
              issuer,
              audience,
            }),
          ],
        }).compile();
        const token = await moduleRef.get(TokenService).sign({ sub: 12 });
        await moduleRef.close();

        const env = {
          JWT_JWKS_URI: jwksUri,
          JWT_ISSUER: issuer,
          JWT_AUDIENCE: audience,
        };
        const verified = await cli(['verify', token], { env });
        expect(verified.status).toBe(0);
        expect(verified.stdout.split('\n')[0]).toMatch(
          new RegExp(`^valid: user 12, .*, key ${provider.kid}$`),
        );
        expect(printedClaims(verified.stdout)).toMatchObject({
          sub: '12',
          iss: issuer,
          aud: audience,
        });

        const other = await cli(['verify', token], {
          env: { ...env, JWT_AUDIENCE: 'billing' },
        });
        expect(other.status).toBe(1);
        expect(other.stderr).toMatch(/^refused: claim_mismatch: /);

        expect(await cli(['sign', '--sub', '1'], { env })).toEqual({
          status: 2,
          stdout: '',
          stderr:
            "nest-jwt-auth: JWT_JWKS_URI only verifies an identity provider's tokens: sign needs JWT_SECRET or JWT_KEYS_FILE\n",
        });
      });

      it('needs JWT_ISSUER and JWT_AUDIENCE, and an https:// URI', async () => {
        for (const [env, message] of [
          [
            { JWT_JWKS_URI: jwksUri, JWT_AUDIENCE: audience },
            'JWT_ISSUER is required with JWT_JWKS_URI: a provider signs for many',
          ],
          [
            { JWT_JWKS_URI: jwksUri, JWT_ISSUER: issuer },
            'JWT_AUDIENCE is required with JWT_JWKS_URI: a provider signs for many',
          ],
          [
            {
              JWT_JWKS_URI: 'http://id.example/jwks.json',
              JWT_ISSUER: issuer,
              JWT_AUDIENCE: audience,
            },
            'JWT_JWKS_URI must be an https:// URL (http:// on a loopback address only), without credentials',
          ],
        ] as const) {
          expect(await cli(['verify', 'a.b.c'], { env })).toEqual({
            status: 2,
            stdout: '',
            stderr: `nest-jwt-auth: ${message}\n`,
          });
        }
      });

      it('fails with exit status 3 when the JWK Set cannot be fetched', async () => {
        const token = forgeToken({
          header: { alg: 'RS256', typ: 'JWT', kid: 'k' },
          payload: { sub: '1', exp: nowSeconds() + 60 },
          key: newSecret(),
          signWith: 'HS256',
        });
        expect(
          await cli(['verify', token], {
            env: {
              JWT_JWKS_URI: 'http://127.0.0.1:1/jwks.json',
              JWT_ISSUER: issuer,
              JWT_AUDIENCE: audience,
            },
          }),
        ).toEqual({
          status: 3,
          stdout: '',
          stderr:
            'nest-jwt-auth: cannot tell whether the token is valid: The identity provider keys could not be fetched (JWT_JWKS_URI)\n',
        });
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
