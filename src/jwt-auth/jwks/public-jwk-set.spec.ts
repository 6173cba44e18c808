import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { compactVerify, createLocalJWKSet } from 'jose';
import {
  constants,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { JwtAuthOptionsError } from '../errors/jwt-auth-options.error.js';
import type {
  JwtAlgorithm,
  JwtAuthModuleOptions,
  JwtKey,
} from '../interfaces/jwt-auth-module-options.interface.js';
import { isAsymmetric } from '../keys/jwt-algorithms.js';
import { resolveKeys, type ResolvedKey } from '../keys/resolve-keys.js';
import { publicJwk, publicJwkSet, type PublicJwk } from './public-jwk-set.js';

type Pair = { privateKey: KeyObject; publicKey: KeyObject };

/** One key per entry: a ring may not hold a key twice. */
const POOL: readonly { algorithm: JwtAlgorithm; pair?: Pair }[] = [
  { algorithm: 'HS256' },
  { algorithm: 'HS512' },
  {
    algorithm: 'RS256',
    pair: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  },
  {
    algorithm: 'PS256',
    // Bound to PS256's parameters, which its SPKI then carries.
    pair: generateKeyPairSync('rsa-pss', {
      modulusLength: 2048,
      hashAlgorithm: 'sha256',
      mgf1HashAlgorithm: 'sha256',
    }),
  },
  {
    algorithm: 'PS384',
    pair: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  },
  {
    algorithm: 'ES256',
    pair: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  },
  {
    algorithm: 'ES384',
    pair: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  },
  {
    algorithm: 'ES512',
    pair: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  },
];
const ASYMMETRIC = POOL.filter((entry) => entry.pair !== undefined) as {
  algorithm: JwtAlgorithm;
  pair: Pair;
}[];

/** Every member a JWK may have, by key type; nothing else is allowed. */
const PUBLIC_MEMBERS = {
  RSA: ['alg', 'e', 'kid', 'kty', 'n', 'use'],
  EC: ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
} as const;

/** The private members of RSA, EC and symmetric JWKs (RFC 7518 6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function onlyKey(key: JwtKey): ResolvedKey {
  const keys = resolveKeys({ keys: [key] });
  if (keys.source !== 'local') throw new Error('expected local keys');
  return keys.list[0];
}

function faultOf(options: JwtAuthModuleOptions): JwtAuthOptionsError {
  try {
    publicJwkSet(resolveKeys(options));
  } catch (error) {
    if (error instanceof JwtAuthOptionsError) return error;
    throw error;
  }
  throw new Error('expected a JwtAuthOptionsError');
}

/** A new key pair of the same kind: the same curve, or RSA. */
function strangerOf({ publicKey }: Pair): Pair {
  const curve = publicKey.asymmetricKeyDetails?.namedCurve;
  return curve === undefined
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: curve });
}

/** A compact JWS signed with Node's crypto alone, as a foreign signer would. */
function jws(algorithm: JwtAlgorithm, privateKey: KeyObject, kid?: string) {
  const encode = (value: unknown) =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: algorithm, ...(kid === undefined ? {} : { kid }) })}.${encode({ sub: '1' })}`;
  const family = algorithm.slice(0, 2);
  const signature = sign(`sha${algorithm.slice(2)}`, Buffer.from(input), {
    key: privateKey,
    ...(family === 'PS'
      ? {
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        }
      : {}),
    ...(family === 'ES' ? { dsaEncoding: 'ieee-p1363' as const } : {}),
  });
  return `${input}.${signature.toString('base64url')}`;
}

describe('publicJwk', () => {
  it.each(ASYMMETRIC)(
    'gives the public key of a $algorithm key, which verifies its signatures with jose',
    async ({ algorithm, pair }) => {
      const jwk = publicJwk(
        onlyKey({
          kid: 'k1',
          algorithm,
          privateKey: pair.privateKey,
        } as JwtKey),
      );
      const set = createLocalJWKSet({ keys: [jwk as PublicJwk] });

      const { payload } = await compactVerify(
        jws(algorithm, pair.privateKey, 'k1'),
        set,
      );
      expect(JSON.parse(Buffer.from(payload).toString())).toEqual({
        sub: '1',
      });
      // A signature by another key of the same kind does not verify.
      const stranger = strangerOf(pair);
      await expect(
        compactVerify(jws(algorithm, stranger.privateKey, 'k1'), set),
      ).rejects.toThrow();
    },
  );

  it.each([
    ['RS256', { kty: 'RSA' }],
    ['PS256', { kty: 'RSA' }],
    ['PS384', { kty: 'RSA' }],
    ['ES256', { kty: 'EC', crv: 'P-256' }],
    ['ES384', { kty: 'EC', crv: 'P-384' }],
    ['ES512', { kty: 'EC', crv: 'P-521' }],
  ] as const)(
    'names a %s key by its type, kid, use and alg',
    (algorithm, expected) => {
      const { pair } = ASYMMETRIC.find(
        (entry) => entry.algorithm === algorithm,
      ) as { pair: Pair };
      const jwk = publicJwk(
        onlyKey({ kid: 'k1', algorithm, publicKey: pair.publicKey }),
      );
      expect(jwk).toMatchObject({
        ...expected,
        kid: 'k1',
        use: 'sig',
        alg: algorithm,
      });
      expect(Object.keys(jwk ?? {}).sort()).toEqual(
        PUBLIC_MEMBERS[expected.kty],
      );
    },
  );

  it('gives the same members as Node for an RSA or EC public key', () => {
    for (const { algorithm, pair } of ASYMMETRIC) {
      if (pair.publicKey.asymmetricKeyType === 'rsa-pss') continue;
      const jwk = publicJwk(
        onlyKey({ algorithm, publicKey: pair.publicKey } as JwtKey),
      );
      expect(jwk).toEqual({
        ...pair.publicKey.export({ format: 'jwk' }),
        use: 'sig',
        alg: algorithm,
      });
    }
  });

  it('leaves kid out for a key without one', () => {
    const { pair } = ASYMMETRIC[0];
    const jwk = publicJwk(
      onlyKey({ algorithm: 'RS256', privateKey: pair.privateKey }),
    );
    expect(jwk).not.toHaveProperty('kid');
  });

  it('gives nothing for an HMAC secret', () => {
    expect(
      publicJwk(onlyKey({ algorithm: 'HS256', secret: randomBytes(32) })),
    ).toBeUndefined();
  });

  it('copies only public members, even from a private KeyObject', () => {
    for (const { algorithm, pair } of ASYMMETRIC) {
      const jwk = publicJwk({
        kid: undefined,
        algorithm,
        verifyKey: pair.privateKey,
        signKey: pair.privateKey,
      });
      for (const member of PRIVATE_MEMBERS) {
        expect(jwk).not.toHaveProperty(member);
      }
    }
  });
});

describe('publicJwkSet', () => {
  it('publishes every public key of the ring, in its order, whatever it holds of each', () => {
    fc.assert(
      fc.property(
        fc.subarray([...POOL.keys()], { minLength: 1 }),
        fc.array(fc.constantFrom('private', 'public', 'both'), {
          minLength: POOL.length,
          maxLength: POOL.length,
        }),
        fc.boolean(),
        (picked, forms, firstHasKid) => {
          const secrets: Buffer[] = [];
          const keys = picked.map((index, position): JwtKey => {
            const { algorithm, pair } = POOL[index];
            const kid =
              position === 0 && !firstHasKid ? {} : { kid: `k${index}` };
            if (pair === undefined) {
              const secret = randomBytes(64);
              secrets.push(secret);
              return { ...kid, algorithm, secret };
            }
            const form = forms[index];
            return {
              ...kid,
              algorithm,
              ...(form === 'public' ? {} : { privateKey: pair.privateKey }),
              ...(form === 'private' ? {} : { publicKey: pair.publicKey }),
            } as JwtKey;
          });
          const expected = keys.filter((key) => isAsymmetric(key.algorithm));
          if (expected.length === 0) {
            expect(() => publicJwkSet(resolveKeys({ keys }))).toThrow(
              JwtAuthOptionsError,
            );
            return;
          }

          const set = publicJwkSet(resolveKeys({ keys }));

          expect(set.keys.map(({ kid, alg }) => ({ kid, alg }))).toEqual(
            expected.map(({ kid, algorithm }) => ({ kid, alg: algorithm })),
          );
          for (const jwk of set.keys) {
            const allowed: readonly string[] = PUBLIC_MEMBERS[jwk.kty];
            for (const member of Object.keys(jwk)) {
              expect(allowed).toContain(member);
            }
          }
          const text = JSON.stringify(set);
          for (const secret of secrets) {
            expect(text).not.toContain(secret.toString('base64url'));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ['"secret"', { secret: randomBytes(32) }],
    [
      'HMAC keys alone',
      {
        keys: [
          { kid: 'a', algorithm: 'HS256', secret: randomBytes(32) },
          { kid: 'b', algorithm: 'HS512', secret: randomBytes(64) },
        ],
      },
    ],
  ] as const)(
    'refuses to publish with %s: no public key',
    (_label, options) => {
      const fault = faultOf(options);
      expect(fault.option).toBe('publishJwks');
      expect(fault.message).toMatch(/needs an RSA or EC key in "keys"/);
    },
  );

  it('refuses to publish with "jwks": the provider publishes its keys', () => {
    const fault = faultOf({
      jwks: { uri: 'https://idp.example/jwks.json' },
      issuer: 'https://idp.example/',
      audience: 'api',
    });
    expect(fault.option).toBe('publishJwks');
    expect(fault.message).toMatch(/nothing to publish with "jwks"/);
  });
});
