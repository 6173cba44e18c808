import { describe, expect, it } from '@jest/globals';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { JwtAuthOptionsError } from './errors/jwt-auth-options.error.js';
import type { JwtAuthModuleOptions } from './interfaces/jwt-auth-module-options.interface.js';
import {
  resolveJwtAuthOptions,
  type ResolvedJwtAuthOptions,
} from './jwt-auth.options.js';
import type { LocalKeys } from './keys/resolve-keys.js';

const secret32 = randomBytes(32).toString('hex').slice(0, 32);

function faultOf(options: unknown): JwtAuthOptionsError {
  try {
    resolveJwtAuthOptions(options as JwtAuthModuleOptions);
  } catch (error) {
    if (error instanceof JwtAuthOptionsError) return error;
    throw error;
  }
  throw new Error('expected the options to be refused');
}

describe('resolveJwtAuthOptions', () => {
  it('applies the defaults', () => {
    const resolved = resolveJwtAuthOptions({ secret: secret32 });
    expect(resolved).toMatchObject({
      expiresIn: 86_400,
      issuer: undefined,
      audience: undefined,
      clockTolerance: 0,
      maxTokenLength: 8192,
      tokenCacheSize: 10_000,
      realm: 'api',
    });
    const [key] = signingKeyOf(resolved).list;
    expect(key).toMatchObject({ kid: undefined, algorithm: 'HS256' });
    expect(key.verifyKey.type).toBe('secret');
    expect(key.verifyKey.symmetricKeySize).toBe(32);
    expect(signingKeyOf(resolved).signing).toBe(key);
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('keeps every option it is given', () => {
    const resolved = resolveJwtAuthOptions({
      secret: randomBytes(64),
      algorithm: 'HS512',
      expiresIn: 60,
      issuer: 'https://issuer.example',
      audience: ['api', 'admin'],
      clockTolerance: 5,
      realm: 'example',
    });
    expect(signingKeyOf(resolved).signing?.algorithm).toBe('HS512');
    expect(resolved).toMatchObject({
      expiresIn: 60,
      issuer: 'https://issuer.example',
      audience: ['api', 'admin'],
      clockTolerance: 5,
      realm: 'example',
    });
  });

  it('takes a secret KeyObject as it is', () => {
    const key = createSecretKey(randomBytes(48));
    expect(
      signingKeyOf(resolveJwtAuthOptions({ secret: key, algorithm: 'HS384' }))
        .signing?.signKey,
    ).toBe(key);
  });

  it('measures a string secret in UTF-8 bytes', () => {
    // 16 two-byte characters: 32 bytes.
    expect(
      signingKeyOf(resolveJwtAuthOptions({ secret: 'é'.repeat(16) })).signing
        ?.signKey?.symmetricKeySize,
    ).toBe(32);
  });

  it.each([
    ['HS256', 31],
    ['HS384', 47],
    ['HS512', 63],
  ] as const)(
    'refuses a secret shorter than the %s hash (%i bytes)',
    (algorithm, size) => {
      const fault = faultOf({ secret: 'x'.repeat(size), algorithm });
      expect(fault.option).toBe('secret');
      expect(fault.message).toContain(`${size} bytes`);
      expect(fault.message).not.toContain('x'.repeat(size));
      expect(() =>
        resolveJwtAuthOptions({ secret: 'x'.repeat(size + 1), algorithm }),
      ).not.toThrow();
    },
  );

  it.each([
    ['a missing secret', {}, 'secret'],
    ['a null secret', { secret: null }, 'secret'],
    ['an empty secret', { secret: '' }, 'secret'],
    ['a numeric secret', { secret: 12345 }, 'secret'],
    [
      'a private key as secret',
      { secret: generateKeyPairSync('ed25519').privateKey },
      'secret',
    ],
    [
      'an unknown algorithm',
      { secret: secret32, algorithm: 'RS256' },
      'algorithm',
    ],
    ['algorithm none', { secret: secret32, algorithm: 'none' }, 'algorithm'],
    [
      'a lower-case algorithm',
      { secret: secret32, algorithm: 'hs256' },
      'algorithm',
    ],
    ['a zero lifetime', { secret: secret32, expiresIn: 0 }, 'expiresIn'],
    ['a negative lifetime', { secret: secret32, expiresIn: -1 }, 'expiresIn'],
    [
      'a fractional lifetime',
      { secret: secret32, expiresIn: 1.5 },
      'expiresIn',
    ],
    ['a lifetime as text', { secret: secret32, expiresIn: '1h' }, 'expiresIn'],
    [
      'an infinite lifetime',
      { secret: secret32, expiresIn: Infinity },
      'expiresIn',
    ],
    [
      'a negative tolerance',
      { secret: secret32, clockTolerance: -1 },
      'clockTolerance',
    ],
    [
      'a NaN tolerance',
      { secret: secret32, clockTolerance: NaN },
      'clockTolerance',
    ],
    ['an empty issuer', { secret: secret32, issuer: '' }, 'issuer'],
    ['a numeric issuer', { secret: secret32, issuer: 1 }, 'issuer'],
    ['an empty audience list', { secret: secret32, audience: [] }, 'audience'],
    ['an empty audience', { secret: secret32, audience: '' }, 'audience'],
    ['a realm with a quote', { secret: secret32, realm: 'a"b' }, 'realm'],
    ['a realm with a backslash', { secret: secret32, realm: 'a\\b' }, 'realm'],
    [
      'a realm with a newline',
      { secret: secret32, realm: 'a\r\nX-Evil: 1' },
      'realm',
    ],
    ['a non-ASCII realm', { secret: secret32, realm: 'réalm' }, 'realm'],
    ['an empty realm', { secret: secret32, realm: '' }, 'realm'],
    [
      'a zero maxTokenLength',
      { secret: secret32, maxTokenLength: 0 },
      'maxTokenLength',
    ],
    [
      'a fractional maxTokenLength',
      { secret: secret32, maxTokenLength: 10.5 },
      'maxTokenLength',
    ],
    [
      'a negative tokenCacheSize',
      { secret: secret32, tokenCacheSize: -1 },
      'tokenCacheSize',
    ],
    ['a misspelt option', { secret: secret32, expiresin: 60 }, 'expiresin'],
    [
      'a Redis URL and a client',
      {
        secret: secret32,
        revocation: {
          redis: {
            url: 'redis://localhost',
            client: { call: (): null => null },
          },
        },
      },
      'revocation.redis',
    ],
    [
      'a URL of another scheme',
      { secret: secret32, revocation: { redis: { url: 'http://localhost' } } },
      'revocation.redis.url',
    ],
    [
      'a Redis URL that does not parse',
      { secret: secret32, revocation: { redis: { url: 'redis://:pw@[bad' } } },
      'revocation.redis.url',
    ],
    [
      'a mirror that is not a boolean',
      {
        secret: secret32,
        revocation: { redis: { url: 'redis://localhost', mirror: 'yes' } },
      },
      'revocation.redis.mirror',
    ],
    ...[49, 60_001, 100.5, '1000'].map(
      (maxStaleness) =>
        [
          `a maxStaleness of ${JSON.stringify(maxStaleness)}`,
          {
            secret: secret32,
            revocation: { redis: { url: 'redis://localhost', maxStaleness } },
          },
          'revocation.redis.maxStaleness',
        ] as const,
    ),
    [
      'a client that cannot open a feed connection, for the mirror',
      {
        secret: secret32,
        revocation: { redis: { client: { call: (): null => null } } },
      },
      'revocation.redis.client',
    ],
    [
      'an ioredis client with a keyPrefix of its own, for the mirror',
      {
        secret: secret32,
        revocation: {
          redis: {
            client: {
              call: (): null => null,
              duplicate: (): null => null,
              options: { keyPrefix: 'app:' },
            },
          },
        },
      },
      'revocation.redis.client',
    ],
  ])('refuses %s, naming the option', (_label, options, option) => {
    const fault = faultOf(options);
    expect(fault.option).toBe(option);
    expect(fault.message).toContain(`"${option}"`);
    expect(fault.message).not.toContain('pw');
  });

  it('mirrors Redis unless told not to, and then takes any client with call()', () => {
    const client = { call: () => Promise.resolve(null) };
    expect(
      resolveJwtAuthOptions({
        secret: secret32,
        revocation: { redis: { url: 'redis://localhost' } },
      }).revocation.redis,
    ).toMatchObject({ mirror: true, maxStaleness: 1000 });
    expect(
      resolveJwtAuthOptions({
        secret: secret32,
        revocation: { redis: { client, mirror: false } },
      }).revocation.redis,
    ).toMatchObject({ client, mirror: false });
  });

  it('refuses options that are not an object', () => {
    expect(faultOf(undefined).option).toBe('options');
  });
});

/** The keys of options given `secret` or `keys`. */
function signingKeyOf(resolved: ResolvedJwtAuthOptions): LocalKeys {
  if (resolved.keys.source !== 'local') throw new Error('remote keys');
  return resolved.keys;
}
