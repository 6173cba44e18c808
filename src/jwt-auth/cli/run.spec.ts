import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgv } from '../../../test/support/arbitraries.js';
import type { CliIo } from './cli-io.interface.js';
import { SYNOPSIS, USAGE } from './output.js';
import { runCli } from './run.js';

const secret = randomBytes(32).toString('base64url');

/** A run of the command line in process, its output captured. */
async function run(
  argv: readonly string[],
  io: Partial<CliIo> = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(argv, {
    env: { JWT_SECRET: secret },
    cwd: tmpdir(),
    readStdin: async () => '',
    ...io,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  expect(stdout + stderr).not.toContain(secret);
  return { status, stdout, stderr };
}

describe('runCli', () => {
  it('prints the manual on stdout for help', async () => {
    expect(await run(['help'])).toEqual({
      status: 0,
      stdout: USAGE,
      stderr: '',
    });
  });

  it('answers a usage error with status 2, the fault and the synopsis', async () => {
    expect(await run(['sign'])).toEqual({
      status: 2,
      stdout: '',
      stderr: `nest-jwt-auth: sign needs --sub <user id>\n${SYNOPSIS}`,
    });
  });

  it('answers a configuration error with status 2 and one line', async () => {
    expect(await run(['sign', '--sub', '1'], { env: {} })).toEqual({
      status: 2,
      stdout: '',
      stderr:
        'nest-jwt-auth: JWT_SECRET is missing: set it (or JWT_KEYS_FILE) in the environment, or in an env file named with --dotenv\n',
    });
  });

  it('answers an unforeseen failure with status 3 and one line, no stack', async () => {
    const failure = await run(['verify'], {
      readStdin: () => Promise.reject(new Error('stdin is gone')),
    });
    expect(failure).toEqual({
      status: 3,
      stdout: '',
      stderr: 'nest-jwt-auth: unexpected failure: stdin is gone\n',
    });
  });

  it.each([
    [['verify', ''], 'no token given'],
    [['verify'], 'no token given on stdin'],
  ])('answers %j with a usage error', async (argv, fault) => {
    const { status, stderr } = await run(argv, {
      readStdin: async () => ' \n',
    });
    expect(status).toBe(2);
    expect(stderr).toBe(`nest-jwt-auth: ${fault}\n${SYNOPSIS}`);
  });

  it('treats stdin past its limit as a malformed token', async () => {
    expect(
      await run(['verify', '-'], { readStdin: async () => undefined }),
    ).toEqual({
      status: 1,
      stdout: '',
      stderr: 'refused: token_malformed: The access token is malformed\n',
    });
  });

  it('prints a new secret alone on stdout, and its kid on stderr', async () => {
    const { status, stdout, stderr } = await run([
      'keys',
      'generate',
      '--algorithm',
      'HS384',
    ]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^[A-Za-z0-9_-]{64}\n$/);
    expect(Buffer.from(stdout.trim(), 'base64url')).toHaveLength(48);
    expect(stderr).toMatch(/^kid: [A-Za-z0-9_-]{22}\n$/);
  });

  it('prints a new key pair as PEM, and as JSON with --json, kid included', async () => {
    const pem = await run(['keys', 'generate', '--algorithm', 'ES256']);
    expect(pem.status).toBe(0);
    expect(pem.stdout).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n[^-]+-----END PRIVATE KEY-----\n-----BEGIN PUBLIC KEY-----\n[^-]+-----END PUBLIC KEY-----\n$/,
    );
    expect(pem.stderr).toMatch(/^kid: [A-Za-z0-9_-]{43}\n$/);

    const json = await run([
      'keys',
      'generate',
      '--algorithm',
      'ES256',
      '--kid',
      'k1',
      '--json',
    ]);
    expect(json.status).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toEqual({
      kid: 'k1',
      algorithm: 'ES256',
      privateKey: expect.stringContaining('-----BEGIN PRIVATE KEY-----\n'),
      publicKey: expect.stringContaining('-----BEGIN PUBLIC KEY-----\n'),
    });
  });

  describe('with a keys file', () => {
    let dir: string;
    const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const entry = {
      kid: 'a',
      algorithm: 'ES256',
      publicKey: signing.publicKey
        .export({ type: 'spki', format: 'pem' })
        .toString(),
    };

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'nest-jwt-auth-cli-'));
      await writeFile(join(dir, 'public.json'), JSON.stringify([entry]));
      await writeFile(
        join(dir, 'keys.json'),
        JSON.stringify([
          {
            ...entry,
            privateKey: signing.privateKey
              .export({ type: 'pkcs8', format: 'pem' })
              .toString(),
          },
        ]),
      );
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('refuses to sign with public keys alone, as a configuration fault', async () => {
      expect(
        await run(['sign', '--sub', '1'], {
          env: { JWT_KEYS_FILE: 'public.json' },
          cwd: dir,
        }),
      ).toEqual({
        status: 2,
        stdout: '',
        stderr:
          'nest-jwt-auth: JWT_KEYS_FILE has no key that signs: sign needs a private key or a secret\n',
      });
    });

    it('answers a --kid that names no key with a usage error, one JWT_SIGNING_KEY_ID names with a configuration fault', async () => {
      expect(
        await run(['sign', '--sub', '1', '--kid', 'b'], {
          env: { JWT_KEYS_FILE: 'keys.json' },
          cwd: dir,
        }),
      ).toEqual({
        status: 2,
        stdout: '',
        stderr: `nest-jwt-auth: --kid names no key of JWT_KEYS_FILE\n${SYNOPSIS}`,
      });
      expect(
        await run(['sign', '--sub', '1'], {
          env: { JWT_KEYS_FILE: 'keys.json', JWT_SIGNING_KEY_ID: 'b' },
          cwd: dir,
        }),
      ).toEqual({
        status: 2,
        stdout: '',
        stderr:
          'nest-jwt-auth: JWT_SIGNING_KEY_ID names no key of JWT_KEYS_FILE\n',
      });
    });

    it('signs with the key --kid names, over JWT_SIGNING_KEY_ID, and names it as it verifies', async () => {
      const env = { JWT_KEYS_FILE: 'keys.json' };
      const signed = await run(['sign', '--sub', '5', '--kid', 'a'], {
        env: { ...env, JWT_SIGNING_KEY_ID: 'a' },
        cwd: dir,
      });
      expect(signed.status).toBe(0);
      const verified = await run(['verify', signed.stdout.trim()], {
        env,
        cwd: dir,
      });
      expect(verified.status).toBe(0);
      expect(verified.stdout.split('\n')[0]).toMatch(
        /^valid: user 5, expires \S+, key a$/,
      );
    });
  });

  it('fails with status 3 when the keys of JWT_JWKS_URI cannot be fetched', async () => {
    const header = { alg: 'RS256', typ: 'JWT', kid: 'k' };
    const payload = { sub: '1', exp: Math.floor(Date.now() / 1000) + 60 };
    const token = [header, payload]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .concat('c2ln')
      .join('.');
    expect(
      await run(['verify', token], {
        env: {
          JWT_JWKS_URI: 'http://127.0.0.1:1/jwks.json',
          JWT_ISSUER: 'https://id.example',
          JWT_AUDIENCE: 'orders',
        },
      }),
    ).toEqual({
      status: 3,
      stdout: '',
      stderr:
        'nest-jwt-auth: cannot tell whether the token is valid: The identity provider keys could not be fetched (JWT_JWKS_URI)\n',
    });
  });

  it('answers any argv with status 0, 1 or 2, one fault line at most, never a stack or the secret', async () => {
    await fc.assert(
      fc.asyncProperty(cliArgv(7), async (argv) => {
        const { status, stdout, stderr } = await run(argv);
        expect([0, 1, 2]).toContain(status);
        expect(stdout + stderr).not.toMatch(/^\s+at /m);
        if (status === 2) {
          expect(stdout).toBe('');
          expect(stderr).toMatch(/^nest-jwt-auth: [^\n]+\n/);
        }
      }),
      { numRuns: 300, seed: 20_261_127 },
    );
  });
});
