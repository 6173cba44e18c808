import { describe, expect, it } from '@jest/globals';
import { calculateJwkThumbprint } from 'jose';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { JwtAlgorithm } from '../interfaces/jwt-auth-module-options.interface.js';
import { resolveJwtAuthOptions } from '../jwt-auth.options.js';
import type { GenerateKeyCommand } from './arguments.js';
import {
  formatGeneratedKey,
  generateKey,
  jwkThumbprint,
  type GeneratedKey,
} from './generate-key.js';

const command = (
  algorithm: JwtAlgorithm,
  more: Partial<GenerateKeyCommand> = {},
): GenerateKeyCommand => ({
  name: 'keys generate',
  algorithm,
  kid: undefined,
  bits:
    algorithm.startsWith('RS') || algorithm.startsWith('PS') ? 2048 : undefined,
  json: false,
  ...more,
});

/** Whether the key's private key signs what its public key verifies. */
function pairs(key: GeneratedKey): boolean {
  if (!('privateKey' in key)) return false;
  const data = Buffer.from('probe');
  const signature = sign('sha256', data, createPrivateKey(key.privateKey));
  return verify('sha256', data, createPublicKey(key.publicKey), signature);
}

describe('generateKey', () => {
  it.each([
    ['ES256', 'prime256v1'],
    ['ES384', 'secp384r1'],
    ['ES512', 'secp521r1'],
  ] as const)('makes a key pair for %s on %s', async (algorithm, curve) => {
    const key = await generateKey(command(algorithm));
    expect(key).toEqual({
      kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      algorithm,
      privateKey: expect.stringMatching(
        /^-----BEGIN PRIVATE KEY-----\n[^]+\n-----END PRIVATE KEY-----\n$/,
      ),
      publicKey: expect.stringMatching(
        /^-----BEGIN PUBLIC KEY-----\n[^]+\n-----END PUBLIC KEY-----\n$/,
      ),
    });
    if (!('publicKey' in key)) throw new Error('not a pair');
    const publicKey = createPublicKey(key.publicKey);
    expect(publicKey.asymmetricKeyType).toBe('ec');
    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe(curve);
    expect(pairs(key)).toBe(true);
  });

  it.each([
    ['RS256', 2048],
    ['PS512', 2048],
    ['RS384', 3072],
  ] as const)(
    'makes a key pair for %s of %d bits, a plain RSA key',
    async (algorithm, bits) => {
      const key = await generateKey(command(algorithm, { bits }));
      if (!('publicKey' in key)) throw new Error('not a pair');
      const publicKey = createPublicKey(key.publicKey);
      // RSA-PSS keys have no JWK form: PS* keys are plain RSA keys too.
      expect(publicKey.asymmetricKeyType).toBe('rsa');
      expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(bits);
      expect(pairs(key)).toBe(true);
    },
  );

  it.each([
    ['HS256', 32],
    ['HS384', 48],
    ['HS512', 64],
  ] as const)(
    'makes a secret for %s of %d random bytes, base64url',
    async (algorithm, bytes) => {
      const key = await generateKey(command(algorithm));
      if (!('secret' in key)) throw new Error('not a secret');
      expect(key.secret).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(key.secret, 'base64url')).toHaveLength(bytes);
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const again = await generateKey(command(algorithm));
      expect(again).not.toEqual(key);
    },
  );

  it('takes the kid it is given', async () => {
    await expect(
      generateKey(command('ES256', { kid: '2026-12' })),
    ).resolves.toMatchObject({ kid: '2026-12' });
    await expect(
      generateKey(command('HS256', { kid: 'h' })),
    ).resolves.toMatchObject({ kid: 'h' });
  });

  it('names a pair by its JWK thumbprint, as jose computes it', async () => {
    for (const algorithm of ['ES256', 'ES512', 'RS256'] as const) {
      const key = await generateKey(command(algorithm));
      if (!('publicKey' in key)) throw new Error('not a pair');
      const jwk = createPublicKey(key.publicKey).export({ format: 'jwk' });
      expect(key.kid).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
    }
  });

  it.each(['HS384', 'RS256', 'PS256', 'ES384'] as const)(
    'makes a key for %s that the module takes as an entry of keys, and signs with',
    async (algorithm) => {
      const key = await generateKey(command(algorithm));
      const { keys } = resolveJwtAuthOptions({ keys: [key] });
      expect(keys).toMatchObject({
        source: 'local',
        signing: { kid: key.kid, algorithm },
      });
    },
  );
});

describe('jwkThumbprint', () => {
  it('gives the thumbprint of the example of RFC 7638 3.1', () => {
    const example = createPublicKey({
      format: 'jwk',
      key: {
        kty: 'RSA',
        n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
        e: 'AQAB',
      },
    });
    expect(jwkThumbprint(example)).toBe(
      'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    );
  });

  it('is the same for the private key’s public half, and differs between keys', async () => {
    const key = await generateKey(command('ES256'));
    const other = await generateKey(command('ES256'));
    if (!('privateKey' in key) || !('privateKey' in other)) throw new Error();
    expect(
      jwkThumbprint(createPublicKey(createPrivateKey(key.privateKey))),
    ).toBe(key.kid);
    expect(other.kid).not.toBe(key.kid);
  });
});

describe('formatGeneratedKey', () => {
  const pair: GeneratedKey = {
    kid: 'k',
    algorithm: 'ES256',
    privateKey:
      '-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n',
    publicKey: '-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n',
  };
  const secret: GeneratedKey = {
    kid: 'h',
    algorithm: 'HS256',
    secret: 'AQID',
  };

  it('prints the private then the public key as PEM', () => {
    expect(formatGeneratedKey(pair, false)).toBe(
      `${pair.privateKey}${pair.publicKey}`,
    );
  });

  it('prints a secret alone on a line', () => {
    expect(formatGeneratedKey(secret, false)).toBe('AQID\n');
  });

  it('prints, with json, an entry of keys with its members in order', () => {
    const printed = formatGeneratedKey(pair, true);
    expect(printed.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(printed) as object)).toEqual([
      'kid',
      'algorithm',
      'privateKey',
      'publicKey',
    ]);
    expect(JSON.parse(formatGeneratedKey(secret, true))).toEqual(secret);
    expect(
      Object.keys(JSON.parse(formatGeneratedKey(secret, true)) as object),
    ).toEqual(['kid', 'algorithm', 'secret']);
  });
});
