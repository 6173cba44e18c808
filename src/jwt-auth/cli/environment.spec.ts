import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
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
  readKeysFile,
  type Environment,
} from './environment.js';

const secret = randomBytes(32).toString('base64url');

/** The message of the configuration fault `run` throws. */
function configurationError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe('configuration');
    return (error as CliError).message;
  }
  throw new Error('no configuration fault');
}

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
  const options = (env: Environment, command: 'sign' | 'verify' = 'verify') =>
    moduleOptionsFromEnvironment(env, {
      cwd: tmpdir(),
      dotenv: undefined,
      command,
    });

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
      options({ JWT_SECRET: secret, REDIS_URL: 'redis://127.0.0.1' }, 'sign'),
    ).toEqual({ secret });
  });

  it.each([
    ['unset', {}],
    ['empty', { JWT_SECRET: '', JWT_KEYS_FILE: '', JWT_JWKS_URI: '' }],
  ])(
    'refuses a JWT_SECRET %s, saying where to set it or what else to set',
    (_label, env) => {
      const missing = (
        dotenv: string | undefined,
        command: 'sign' | 'verify',
      ) =>
        configurationError(() =>
          moduleOptionsFromEnvironment(env, { cwd: tmpdir(), dotenv, command }),
        );
      expect(missing(undefined, 'sign')).toBe(
        'JWT_SECRET is missing: set it (or JWT_KEYS_FILE) in the environment, or in an env file named with --dotenv',
      );
      expect(missing('conf/jwt.env', 'sign')).toBe(
        'JWT_SECRET is missing: set it (or JWT_KEYS_FILE) in the environment or in conf/jwt.env',
      );
      expect(missing(undefined, 'verify')).toBe(
        'JWT_SECRET is missing: set it (or JWT_KEYS_FILE or JWT_JWKS_URI) in the environment, or in an env file named with --dotenv',
      );
    },
  );

  it.each([
    [
      { JWT_SECRET: secret, JWT_KEYS_FILE: 'keys.json' },
      'JWT_SECRET and JWT_KEYS_FILE',
    ],
    [
      { JWT_KEYS_FILE: 'keys.json', JWT_JWKS_URI: 'https://id.example/jwks' },
      'JWT_KEYS_FILE and JWT_JWKS_URI',
    ],
    [
      {
        JWT_SECRET: secret,
        JWT_KEYS_FILE: 'keys.json',
        JWT_JWKS_URI: 'https://id.example/jwks',
      },
      'JWT_SECRET and JWT_KEYS_FILE and JWT_JWKS_URI',
    ],
  ])('refuses keys from two variables at once: %j', (env, names) => {
    for (const command of ['sign', 'verify'] as const) {
      expect(configurationError(() => options(env, command))).toBe(
        `${names} exclude each other: set one`,
      );
    }
  });

  it('takes JWT_JWKS_URI for verify, with JWT_ISSUER and JWT_AUDIENCE', () => {
    expect(
      options({
        JWT_JWKS_URI: 'https://id.example/jwks',
        JWT_ISSUER: 'https://id.example',
        JWT_AUDIENCE: 'orders',
      }),
    ).toEqual({
      jwks: { uri: 'https://id.example/jwks' },
      issuer: 'https://id.example',
      audience: ['orders'],
    });
  });

  it('refuses JWT_JWKS_URI alone for sign: a provider’s keys only verify', () => {
    expect(
      configurationError(() =>
        options({ JWT_JWKS_URI: 'https://id.example/jwks' }, 'sign'),
      ),
    ).toBe(
      "JWT_JWKS_URI only verifies an identity provider's tokens: sign needs JWT_SECRET or JWT_KEYS_FILE",
    );
  });

  it.each([
    [
      { JWT_KEYS_FILE: 'keys.json', JWT_ALGORITHM: 'HS256' },
      'JWT_ALGORITHM goes with JWT_SECRET: each key of JWT_KEYS_FILE names its own algorithm',
    ],
    [
      {
        JWT_JWKS_URI: 'https://id.example/jwks',
        JWT_ISSUER: 'https://id.example',
        JWT_AUDIENCE: 'orders',
        JWT_ALGORITHM: 'RS256',
      },
      'JWT_ALGORITHM goes with JWT_SECRET, not JWT_JWKS_URI',
    ],
  ])('refuses JWT_ALGORITHM without JWT_SECRET: %j', (env, message) => {
    expect(configurationError(() => options(env))).toBe(message);
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
        moduleOptionsFromEnvironment(env, {
          cwd: tmpdir(),
          dotenv: undefined,
          command: 'verify',
        }),
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

describe('the keys file (JWT_KEYS_FILE)', () => {
  let dir: string;
  const pem = (key: KeyObject): string =>
    key
      .export(
        key.type === 'private'
          ? { type: 'pkcs8', format: 'pem' }
          : { type: 'spki', format: 'pem' },
      )
      .toString();
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const otherP256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const hmacSecret = randomBytes(32).toString('base64url');
  const signing = {
    kid: 'a',
    algorithm: 'ES256',
    privateKey: pem(p256.privateKey),
    publicKey: pem(p256.publicKey),
  };
  const verifying = {
    kid: 'b',
    algorithm: 'ES256',
    publicKey: pem(otherP256.publicKey),
  };

  /** Every file the specs read, by name. */
  const files: Record<string, unknown> = {
    'keys.json': [signing, verifying],
    'public.json': [verifying],
    'unreadable-pem.json': [signing, { ...verifying, publicKey: 'nope' }],
    'wrong-curve.json': [{ ...verifying, publicKey: pem(p384.publicKey) }],
    'weak-rsa.json': [
      { kid: 'r', algorithm: 'RS256', privateKey: pem(weakRsa.privateKey) },
    ],
    'not-a-pair.json': [{ ...signing, publicKey: pem(otherP256.publicKey) }],
    'same-kid.json': [signing, { ...verifying, kid: 'a' }],
    'same-key.json': [signing, { ...verifying, publicKey: signing.publicKey }],
    'unknown-field.json': [{ ...signing, pem: signing.privateKey }],
    'weak-secret.json': [{ kid: 'h', algorithm: 'HS512', secret: hmacSecret }],
    'empty.json': [],
    'object.json': { keys: [signing] },
    'null.json': null,
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nest-jwt-auth-cli-'));
    for (const [name, content] of Object.entries(files)) {
      await writeFile(join(dir, name), JSON.stringify(content));
    }
    await writeFile(
      join(dir, 'broken.json'),
      `[{"kid":"h","algorithm":"HS256","secret":"${hmacSecret}",}]`,
    );
    await mkdir(join(dir, 'a-directory'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const options = (env: Environment, command: 'sign' | 'verify' = 'verify') =>
    moduleOptionsFromEnvironment(env, { cwd: dir, dotenv: undefined, command });

  /** The fault the module finds in the options, described for the command line. */
  function described(env: Environment): string {
    try {
      resolveJwtAuthOptions(options(env));
    } catch (error) {
      expect(error).toBeInstanceOf(JwtAuthOptionsError);
      const message = describeOptionsError(error as JwtAuthOptionsError);
      expect(message).not.toMatch(/-----|PRIVATE KEY|MI[GIJ]/);
      expect(message).not.toContain(hmacSecret);
      return message;
    }
    throw new Error('the options were accepted');
  }

  it('reads the file, relative to the working directory or absolute', () => {
    expect(readKeysFile(dir, 'keys.json')).toEqual([signing, verifying]);
    expect(readKeysFile('/', join(dir, 'keys.json'))).toEqual([
      signing,
      verifying,
    ]);
  });

  it('gives the module its keys and JWT_SIGNING_KEY_ID', () => {
    expect(
      options({ JWT_KEYS_FILE: 'keys.json', JWT_SIGNING_KEY_ID: 'a' }, 'sign'),
    ).toEqual({ keys: [signing, verifying], signingKeyId: 'a' });
    expect(
      resolveJwtAuthOptions(options({ JWT_KEYS_FILE: 'keys.json' })).keys,
    ).toMatchObject({ source: 'local', signing: { kid: 'a' } });
  });

  it.each([
    ['a missing file', 'missing.json', 'cannot be read (ENOENT)'],
    ['a directory', 'a-directory', 'cannot be read (EISDIR)'],
    ['text that is not JSON', 'broken.json', 'is not JSON'],
    [
      'an object',
      'object.json',
      `must hold a JSON array of keys, each an entry of the module's "keys" option`,
    ],
    [
      'null',
      'null.json',
      `must hold a JSON array of keys, each an entry of the module's "keys" option`,
    ],
  ])(
    'refuses %s, naming the variable and the file, never its text',
    (_label, file, fault) => {
      const message = configurationError(() =>
        options({ JWT_KEYS_FILE: file }),
      );
      expect(message).toBe(`JWT_KEYS_FILE ${JSON.stringify(file)} ${fault}`);
      expect(message).not.toContain(hmacSecret);
    },
  );

  it.each([
    [
      'unreadable-pem.json',
      'JWT_KEYS_FILE: keys[1].publicKey is not a readable PEM public key',
    ],
    [
      'wrong-curve.json',
      'JWT_KEYS_FILE: keys[0].publicKey is an EC key on secp384r1; ES256 needs an EC key on P-256',
    ],
    [
      'weak-rsa.json',
      'JWT_KEYS_FILE: keys[0].publicKey is too weak for RS256: an RSA key of 1024 bits, where at least 2048 are needed (RFC 7518 3.3)',
    ],
    [
      'not-a-pair.json',
      'JWT_KEYS_FILE: keys[0]: "privateKey" and "publicKey" are not a pair',
    ],
    [
      'same-kid.json',
      'JWT_KEYS_FILE: keys[1].kid repeats a kid of an earlier key',
    ],
    [
      'same-key.json',
      'JWT_KEYS_FILE: keys[1] holds the same key as keys[0]: give each key one algorithm and one entry',
    ],
    ['unknown-field.json', 'JWT_KEYS_FILE: keys[0] has an unknown field "pem"'],
    [
      'weak-secret.json',
      'JWT_KEYS_FILE: keys[0].secret is too weak for HS512: it has 43 bytes and needs at least 64 (RFC 7518 3.2)',
    ],
    ['empty.json', 'JWT_KEYS_FILE must be a non-empty array of keys'],
  ])('names the entry at fault in %s', (file, message) => {
    expect(described({ JWT_KEYS_FILE: file })).toBe(message);
  });

  it.each([
    [
      { JWT_KEYS_FILE: 'keys.json', JWT_SIGNING_KEY_ID: 'c' },
      'JWT_SIGNING_KEY_ID names no key of JWT_KEYS_FILE',
    ],
    [
      { JWT_KEYS_FILE: 'keys.json', JWT_SIGNING_KEY_ID: 'b' },
      'JWT_SIGNING_KEY_ID names a key without its private key',
    ],
    [
      { JWT_SECRET: secret, JWT_SIGNING_KEY_ID: 'a' },
      'JWT_SIGNING_KEY_ID needs JWT_KEYS_FILE',
    ],
    [
      { JWT_JWKS_URI: 'https://id.example/jwks', JWT_AUDIENCE: 'orders' },
      'JWT_ISSUER is required with JWT_JWKS_URI: a provider signs for many',
    ],
    [
      {
        JWT_JWKS_URI: 'https://id.example/jwks',
        JWT_ISSUER: 'https://id.example',
      },
      'JWT_AUDIENCE is required with JWT_JWKS_URI: a provider signs for many',
    ],
    [
      {
        JWT_JWKS_URI: 'http://id.example/jwks',
        JWT_ISSUER: 'https://id.example',
        JWT_AUDIENCE: 'orders',
      },
      'JWT_JWKS_URI must be an https:// URL (http:// on a loopback address only), without credentials',
    ],
  ])('names the variables for %j', (env, message) => {
    expect(described(env)).toBe(message);
  });

  it('names --kid for a signing key given on the command line', () => {
    let fault: unknown;
    try {
      resolveJwtAuthOptions({
        ...options({ JWT_KEYS_FILE: 'keys.json' }, 'sign'),
        signingKeyId: 'c',
      });
    } catch (error) {
      fault = error;
    }
    expect(
      describeOptionsError(fault as JwtAuthOptionsError, {
        signingKeyId: '--kid',
      }),
    ).toBe('--kid names no key of JWT_KEYS_FILE');
  });
});
