import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
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
        'nest-jwt-auth: JWT_SECRET is missing: set it in the environment, or in an env file named with --dotenv\n',
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
