import { describe, expect, it } from '@jest/globals';
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import type {
  JwtAlgorithm,
  JwtAuthModuleOptions,
} from '../interfaces/jwt-auth-module-options.interface.js';
import { JWT_ALGORITHMS } from './jwt-algorithms.js';
import { resolveKeys, type LocalKeys } from './resolve-keys.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaOther = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaWeak = generateKeyPairSync('rsa', { modulusLength: 1024 });
const pss = generateKeyPairSync('rsa-pss', {
  modulusLength: 2048,
  hashAlgorithm: 'sha384',
  mgf1HashAlgorithm: 'sha384',
});
const pssUnbound = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
const ec = {
  P256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  P384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  P521: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
};
const ed25519 = generateKeyPairSync('ed25519');
const secret64 = randomBytes(64);

const pem = (key: KeyObject): string =>
  key
    .export({ type: key.type === 'private' ? 'pkcs8' : 'spki', format: 'pem' })
    .toString();

/** The pair each asymmetric algorithm is made for. */
const PAIRS: Readonly<
  Record<string, { privateKey: KeyObject; publicKey: KeyObject }>
> = {
  RS256: rsa,
  RS384: rsa,
  RS512: rsa,
  PS256: rsa,
  PS384: pss,
  PS512: rsa,
  ES256: ec.P256,
  ES384: ec.P384,
  ES512: ec.P521,
};

function local(options: JwtAuthModuleOptions): LocalKeys {
  const keys = resolveKeys(options);
  if (keys.source !== 'local') throw new Error('expected local keys');
  return keys;
}

function faultOf(options: unknown): JwtAuthOptionsError {
  try {
    resolveKeys(options as JwtAuthModuleOptions);
  } catch (error) {
    if (error instanceof JwtAuthOptionsError) return error;
    throw error;
  }
  throw new Error('expected the options to be refused');
}

describe('resolveKeys', () => {
  it.each(Object.keys(PAIRS))(
    'takes a %s key pair as PEM or KeyObject, and derives a missing public key',
    (algorithm) => {
      const pair = PAIRS[algorithm];
      for (const entry of [
        { privateKey: pem(pair.privateKey), publicKey: pem(pair.publicKey) },
        { privateKey: pair.privateKey, publicKey: pair.publicKey },
        { privateKey: Buffer.from(pem(pair.privateKey)) },
      ]) {
        const [key] = local({
          keys: [{ kid: 'k', algorithm, ...entry } as never],
        }).list;
        expect(key.kid).toBe('k');
        expect(key.algorithm).toBe(algorithm);
        expect(key.verifyKey.type).toBe('public');
        expect(key.verifyKey.equals(pair.publicKey)).toBe(true);
        expect(key.signKey?.type).toBe('private');
      }
    },
  );

  it('takes a public key alone: the key verifies and cannot sign', () => {
    const keys = local({
      keys: [
        { kid: 'old', algorithm: 'ES256', publicKey: pem(ec.P256.publicKey) },
      ],
    });
    expect(keys.list[0].signKey).toBeUndefined();
    expect(keys.signing).toBeUndefined();
  });

  it('signs with the first key that can, or with signingKeyId', () => {
    const list = [
      { kid: 'a', algorithm: 'ES256', publicKey: ec.P256.publicKey },
      { kid: 'b', algorithm: 'RS256', privateKey: rsa.privateKey },
      { kid: 'c', algorithm: 'HS512', secret: secret64 },
    ] as const;
    expect(local({ keys: list }).signing?.kid).toBe('b');
    expect(local({ keys: list, signingKeyId: 'c' }).signing?.kid).toBe('c');
    expect(faultOf({ keys: list, signingKeyId: 'a' }).option).toBe(
      'signingKeyId',
    );
    expect(faultOf({ keys: list, signingKeyId: 'z' }).option).toBe(
      'signingKeyId',
    );
  });

  it('resolves a ring of mixed key types again and again, and leaves key parsing working', () => {
    const keys = [
      { kid: 'ec', algorithm: 'ES256', privateKey: pem(ec.P256.privateKey) },
      { kid: 'rsa', algorithm: 'RS256', privateKey: pem(rsa.privateKey) },
      { kid: 'pss', algorithm: 'PS384', publicKey: pem(pss.publicKey) },
      { kid: 'hs', algorithm: 'HS256', secret: secret64 },
    ] as const;
    for (let round = 0; round < 3; round++) {
      expect(local({ keys }).list.map(({ kid }) => kid)).toEqual([
        'ec',
        'rsa',
        'pss',
        'hs',
      ]);
    }
    expect(createPrivateKey(pem(ec.P384.privateKey)).type).toBe('private');
  });

  it('keeps secret with algorithm as a single key without a kid', () => {
    const keys = local({ secret: secret64, algorithm: 'HS512' });
    expect(keys.list).toHaveLength(1);
    expect(keys.signing).toMatchObject({ kid: undefined, algorithm: 'HS512' });
  });

  it.each([
    ['no key option', {}, 'secret'],
    ['secret and keys', { secret: secret64, keys: [] }, 'keys'],
    [
      'keys and jwks',
      { keys: [{ algorithm: 'HS256', secret: secret64 }], jwks: {} },
      'jwks',
    ],
    [
      'signingKeyId without keys',
      { secret: secret64, signingKeyId: 'a' },
      'signingKeyId',
    ],
    [
      'algorithm with keys',
      { algorithm: 'HS256', keys: [{ algorithm: 'HS256', secret: secret64 }] },
      'algorithm',
    ],
    [
      'an asymmetric algorithm with secret',
      { secret: secret64, algorithm: 'RS256' },
      'algorithm',
    ],
    ['an empty list', { keys: [] }, 'keys'],
    ['a list that is not an array', { keys: { a: 1 } }, 'keys'],
    ['an entry that is not an object', { keys: ['x'] }, 'keys[0]'],
    [
      'an unknown algorithm',
      { keys: [{ algorithm: 'none', secret: secret64 }] },
      'keys[0].algorithm',
    ],
    [
      'EdDSA',
      { keys: [{ algorithm: 'EdDSA', privateKey: ed25519.privateKey }] },
      'keys[0].algorithm',
    ],
    [
      'an unknown field',
      { keys: [{ algorithm: 'HS256', secret: secret64, x5u: 'https://a' }] },
      'keys[0].x5u',
    ],
    [
      'an empty kid',
      { keys: [{ kid: '', algorithm: 'HS256', secret: secret64 }] },
      'keys[0].kid',
    ],
    [
      'a kid that is no string',
      { keys: [{ kid: 7, algorithm: 'HS256', secret: secret64 }] },
      'keys[0].kid',
    ],
    [
      'a repeated kid',
      {
        keys: [
          { kid: 'a', algorithm: 'HS256', secret: secret64 },
          { kid: 'a', algorithm: 'HS256', secret: randomBytes(32) },
        ],
      },
      'keys[1].kid',
    ],
    [
      'two keys without a kid',
      {
        keys: [
          { algorithm: 'HS256', secret: secret64 },
          { algorithm: 'HS256', secret: randomBytes(32) },
        ],
      },
      'keys[1].kid',
    ],
    [
      'one secret under two algorithms',
      {
        keys: [
          { kid: 'a', algorithm: 'HS256', secret: secret64 },
          { kid: 'b', algorithm: 'HS512', secret: secret64 },
        ],
      },
      'keys[1]',
    ],
    [
      'one key pair under two algorithms',
      {
        keys: [
          { kid: 'a', algorithm: 'RS256', privateKey: rsa.privateKey },
          { kid: 'b', algorithm: 'PS256', publicKey: rsa.publicKey },
        ],
      },
      'keys[1]',
    ],
    [
      'a short HMAC secret',
      { keys: [{ algorithm: 'HS384', secret: randomBytes(47) }] },
      'keys[0].secret',
    ],
    [
      'a missing HMAC secret',
      { keys: [{ algorithm: 'HS256' }] },
      'keys[0].secret',
    ],
    [
      'a key pair for HMAC',
      { keys: [{ algorithm: 'HS256', publicKey: rsa.publicKey }] },
      'keys[0].secret',
    ],
    [
      'a secret for RS256',
      { keys: [{ algorithm: 'RS256', secret: secret64 }] },
      'keys[0].secret',
    ],
    [
      'no key for ES256',
      { keys: [{ algorithm: 'ES256' }] },
      'keys[0].publicKey',
    ],
    [
      'a 1024-bit RSA key',
      { keys: [{ algorithm: 'RS256', privateKey: rsaWeak.privateKey }] },
      'keys[0].publicKey',
    ],
    [
      'an RSA-PSS key without parameters',
      { keys: [{ algorithm: 'PS256', publicKey: pssUnbound.publicKey }] },
      'keys[0].publicKey',
    ],
    [
      'an RSA-PSS key made for PS384, for PS256',
      { keys: [{ algorithm: 'PS256', publicKey: pss.publicKey }] },
      'keys[0].publicKey',
    ],
    [
      'an RSA-PSS key for RS256',
      { keys: [{ algorithm: 'RS256', publicKey: pss.publicKey }] },
      'keys[0].publicKey',
    ],
    [
      'an EC key for RS256',
      { keys: [{ algorithm: 'RS256', publicKey: ec.P256.publicKey }] },
      'keys[0].publicKey',
    ],
    [
      'an RSA key for ES256',
      { keys: [{ algorithm: 'ES256', publicKey: rsa.publicKey }] },
      'keys[0].publicKey',
    ],
    [
      'a P-384 key for ES256',
      { keys: [{ algorithm: 'ES256', publicKey: ec.P384.publicKey }] },
      'keys[0].publicKey',
    ],
    [
      'a P-256 key for ES512',
      { keys: [{ algorithm: 'ES512', privateKey: ec.P256.privateKey }] },
      'keys[0].publicKey',
    ],
    [
      'an Ed25519 key for ES256',
      { keys: [{ algorithm: 'ES256', publicKey: ed25519.publicKey }] },
      'keys[0].publicKey',
    ],
    [
      'a private key given as the public key',
      { keys: [{ algorithm: 'RS256', publicKey: pem(rsa.privateKey) }] },
      'keys[0].publicKey',
    ],
    [
      'a private KeyObject given as the public key',
      { keys: [{ algorithm: 'RS256', publicKey: rsa.privateKey }] },
      'keys[0].publicKey',
    ],
    [
      'a public key given as the private key',
      { keys: [{ algorithm: 'RS256', privateKey: rsa.publicKey }] },
      'keys[0].privateKey',
    ],
    [
      'a secret KeyObject given as the public key',
      { keys: [{ algorithm: 'RS256', publicKey: createSecretKey(secret64) }] },
      'keys[0].publicKey',
    ],
    [
      'unreadable PEM',
      { keys: [{ algorithm: 'RS256', publicKey: 'not a key' }] },
      'keys[0].publicKey',
    ],
    [
      'a number as a key',
      { keys: [{ algorithm: 'RS256', publicKey: 7 }] },
      'keys[0].publicKey',
    ],
    [
      'a private and a public key that are not a pair',
      {
        keys: [
          {
            algorithm: 'RS256',
            privateKey: rsa.privateKey,
            publicKey: rsaOther.publicKey,
          },
        ],
      },
      'keys[0].publicKey',
    ],
  ])('refuses %s, naming the option', (_name, options, option) => {
    const fault = faultOf(options);
    expect(fault.option).toBe(option);
    expect(fault.message).toMatch(/^JwtAuthModule option/);
  });

  it.each([
    ['a public key PEM', pem(rsa.publicKey)],
    ['a private key PEM', pem(ec.P256.privateKey)],
    [
      'a certificate-like PEM',
      `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64)}\n-----END CERTIFICATE-----\n`,
    ],
    ['PEM bytes', Buffer.from(pem(rsa.publicKey))],
    ['a PEM with text around it', `key: ${pem(rsa.publicKey)}`],
    [
      'a secret KeyObject of a PEM',
      createSecretKey(Buffer.from(pem(rsa.publicKey))),
    ],
    ['a JWK', JSON.stringify(rsa.publicKey.export({ format: 'jwk' }))],
    [
      'a secret KeyObject of a JWK',
      createSecretKey(
        Buffer.from(
          JSON.stringify(ec.P256.publicKey.export({ format: 'jwk' })),
        ),
      ),
    ],
  ])(
    'refuses %s as an HMAC secret (the RS256/HS256 confusion)',
    (_name, secret) => {
      expect(faultOf({ secret }).option).toBe('secret');
      expect(faultOf({ keys: [{ algorithm: 'HS256', secret }] }).option).toBe(
        'keys[0].secret',
      );
    },
  );

  it('never quotes key material in a fault', () => {
    const material = [
      pem(rsa.privateKey),
      pem(rsa.publicKey),
      secret64.toString('base64url'),
    ];
    const faults = [
      faultOf({
        keys: [{ algorithm: 'RS256', publicKey: pem(rsa.privateKey) }],
      }),
      faultOf({ keys: [{ algorithm: 'HS256', secret: pem(rsa.publicKey) }] }),
      faultOf({
        keys: [{ algorithm: 'HS512', secret: secret64.subarray(0, 10) }],
      }),
      faultOf({
        keys: [
          { algorithm: 'ES256', privateKey: pem(rsa.privateKey).slice(0, 200) },
        ],
      }),
    ];
    for (const fault of faults) {
      for (const text of material) {
        expect(fault.message).not.toContain(text.slice(40, 80));
      }
    }
  });

  it('has a key check for every algorithm of the table', () => {
    for (const algorithm of Object.keys(JWT_ALGORITHMS) as JwtAlgorithm[]) {
      const pair = PAIRS[algorithm];
      const entry =
        pair === undefined
          ? { algorithm, secret: randomBytes(64) }
          : { algorithm, privateKey: createPrivateKey(pem(pair.privateKey)) };
      expect(local({ keys: [entry as never] }).list[0].algorithm).toBe(
        algorithm,
      );
    }
    expect(createPublicKey(pem(rsa.publicKey)).equals(rsa.publicKey)).toBe(
      true,
    );
  });
});

describe('resolveKeys with jwks', () => {
  const base = { issuer: 'https://id.example', audience: 'api' };

  it('applies the defaults', () => {
    const keys = resolveKeys({
      ...base,
      jwks: { uri: 'https://id.example/jwks' },
    });
    expect(keys).toEqual({
      source: 'remote',
      uri: new URL('https://id.example/jwks'),
      issuer: 'https://id.example',
      algorithms: ['RS256'],
      cacheMaxAge: 600_000,
      cooldown: 30_000,
      timeout: 5_000,
    });
  });

  it.each([
    'http://localhost:8080/jwks',
    'http://127.0.0.1:8080/jwks',
    'http://127.9.9.9/jwks',
    'http://[::1]:8080/jwks',
    'https://id.example/jwks',
  ])('fetches %s', (uri) => {
    expect(resolveKeys({ ...base, jwks: { uri } }).source).toBe('remote');
  });

  it.each([
    [
      'no issuer',
      { audience: 'api', jwks: { uri: 'https://a/jwks' } },
      'issuer',
    ],
    [
      'no audience',
      { issuer: 'https://a', jwks: { uri: 'https://a/jwks' } },
      'audience',
    ],
    ['neither uri nor discover', { ...base, jwks: {} }, 'jwks'],
    [
      'both uri and discover',
      { ...base, jwks: { uri: 'https://a/jwks', discover: true } },
      'jwks',
    ],
    [
      'discover that is no boolean',
      { ...base, jwks: { discover: 'yes' } },
      'jwks.discover',
    ],
    [
      'http to another host',
      { ...base, jwks: { uri: 'http://id.example/jwks' } },
      'jwks.uri',
    ],
    [
      'http to a host named like loopback',
      { ...base, jwks: { uri: 'http://127.0.0.1.example/jwks' } },
      'jwks.uri',
    ],
    [
      'credentials in the URL',
      { ...base, jwks: { uri: 'https://u:p@id.example/jwks' } },
      'jwks.uri',
    ],
    [
      'another scheme',
      { ...base, jwks: { uri: 'file:///etc/jwks.json' } },
      'jwks.uri',
    ],
    ['no URL', { ...base, jwks: { uri: 'jwks.json' } }, 'jwks.uri'],
    [
      'discovery from an http issuer',
      {
        issuer: 'http://id.example',
        audience: 'api',
        jwks: { discover: true },
      },
      'issuer',
    ],
    [
      'an HMAC algorithm',
      { ...base, jwks: { uri: 'https://a/jwks', algorithms: ['HS256'] } },
      'jwks.algorithms',
    ],
    [
      'no algorithm',
      { ...base, jwks: { uri: 'https://a/jwks', algorithms: [] } },
      'jwks.algorithms',
    ],
    [
      'none',
      { ...base, jwks: { uri: 'https://a/jwks', algorithms: ['none'] } },
      'jwks.algorithms',
    ],
    [
      'a short timeout',
      { ...base, jwks: { uri: 'https://a/jwks', timeout: 10 } },
      'jwks.timeout',
    ],
    [
      'a fractional cooldown',
      { ...base, jwks: { uri: 'https://a/jwks', cooldown: 1000.5 } },
      'jwks.cooldown',
    ],
    [
      'a cache age over a day',
      { ...base, jwks: { uri: 'https://a/jwks', cacheMaxAge: 86_400_001 } },
      'jwks.cacheMaxAge',
    ],
    [
      'an unknown field',
      { ...base, jwks: { uri: 'https://a/jwks', jku: true } },
      'jwks.jku',
    ],
    ['jwks that is no object', { ...base, jwks: 'https://a/jwks' }, 'jwks'],
  ])('refuses %s, naming the option', (_name, options, option) => {
    expect(faultOf(options).option).toBe(option);
  });
});
