import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import {
  INVALID_TOKEN_DESCRIPTIONS,
  JwtAuthModule,
  TokenService,
  type InvalidTokenCode,
  type JwtAuthModuleOptions,
  type JwtKey,
} from '../src/jwt-auth/index.js';
import { ADAPTERS, expectRefusal, http, startApp } from './support/app.js';
import { b64url, nowSeconds } from './support/jws.js';
import { ProfileController } from './support/profile.controller.js';

const realm = 'keys';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
/** An RSA-PSS key bound to the parameters of `PS<bits>`. */
const pssFor = (bits: 256 | 384 | 512) =>
  generateKeyPairSync('rsa-pss', {
    modulusLength: 2048,
    hashAlgorithm: `sha${bits}`,
    mgf1HashAlgorithm: `sha${bits}`,
  });
const pss = pssFor(256);
const curves = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ES512: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
};
/** The public key of a key, as SPKI PEM. */
const spki = (key: KeyObject): string =>
  createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();

/** One key per algorithm, each under its algorithm's name as kid. */
const EVERY_KEY: readonly JwtKey[] = [
  { kid: 'HS256', algorithm: 'HS256', secret: randomBytes(32) },
  { kid: 'HS384', algorithm: 'HS384', secret: randomBytes(48) },
  { kid: 'HS512', algorithm: 'HS512', secret: randomBytes(64) },
  { kid: 'RS256', algorithm: 'RS256', privateKey: rsa.privateKey },
  {
    kid: 'RS384',
    algorithm: 'RS384',
    privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  },
  {
    kid: 'RS512',
    algorithm: 'RS512',
    privateKey: generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey,
  },
  { kid: 'PS256', algorithm: 'PS256', privateKey: pss.privateKey },
  {
    kid: 'PS384',
    algorithm: 'PS384',
    privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  },
  {
    kid: 'PS512',
    algorithm: 'PS512',
    privateKey: pssFor(512).privateKey,
  },
  { kid: 'ES256', algorithm: 'ES256', privateKey: curves.ES256.privateKey },
  { kid: 'ES384', algorithm: 'ES384', privateKey: curves.ES384.privateKey },
  { kid: 'ES512', algorithm: 'ES512', privateKey: curves.ES512.privateKey },
];

/** The key a key entry signs with. */
const signingKeyOf = (key: JwtKey): KeyObject | Uint8Array | string =>
  ('secret' in key ? key.secret : key.privateKey) as KeyObject;

/** A token signed by jsonwebtoken, as another issuer would. */
function tokenOf(
  key: JwtKey,
  header: { kid?: string } = { kid: key.kid },
  claims: Record<string, unknown> = {},
): string {
  return jwt.sign(
    { sub: '7', exp: nowSeconds() + 60, ...claims },
    signingKeyOf(key) as jwt.Secret,
    {
      algorithm: key.algorithm,
      ...(header.kid === undefined ? {} : { keyid: header.kid }),
    },
  );
}

/** A token whose signature is an HMAC with `secret`, whatever its header. */
function hmacToken(header: Record<string, unknown>, secret: string): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(
    JSON.stringify({ sub: '7', exp: nowSeconds() + 60 }),
  )}`;
  const bits = String(header.alg).slice(2);
  const hash = ['256', '384', '512'].includes(bits) ? `sha${bits}` : 'sha256';
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

describe.each(ADAPTERS)('keys (%s)', (adapter) => {
  const apps: INestApplication[] = [];

  async function start(options: JwtAuthModuleOptions) {
    const app = await startApp(
      {
        imports: [JwtAuthModule.forRoot({ realm, ...options })],
        controllers: [ProfileController],
      },
      adapter,
    );
    apps.push(app);
    return {
      tokens: app.get(TokenService),
      get: (token: string) =>
        http(app).get('/profile').set('Authorization', `Bearer ${token}`),
    };
  }

  const expectCode = (
    response: Parameters<typeof expectRefusal>[0],
    code: InvalidTokenCode,
  ) => expectRefusal(response, realm, INVALID_TOKEN_DESCRIPTIONS[code]);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  describe('a ring with a key of every algorithm', () => {
    let app: Awaited<ReturnType<typeof start>>;

    beforeAll(async () => {
      app = await start({ keys: EVERY_KEY });
    });

    it.each(EVERY_KEY.map((key) => [key.algorithm, key] as const))(
      'admits a %s token by the key its kid names, twice (the second from the cache)',
      async (_algorithm, key) => {
        const token = tokenOf(key);
        for (let round = 0; round < 2; round++) {
          const response = await app.get(token);
          expect(response.status).toBe(200);
          expect(response.body).toEqual({ userId: 7 });
        }
      },
    );

    it.each(EVERY_KEY.map((key) => [key.algorithm, key] as const))(
      'refuses a %s token under its kid signed by another key of that algorithm',
      async (algorithm, key) => {
        const family = algorithm.slice(0, 2);
        const impostor = {
          ...key,
          ...(family === 'HS'
            ? { secret: randomBytes(64) }
            : {
                privateKey:
                  family === 'ES'
                    ? generateKeyPairSync('ec', {
                        namedCurve: curves[algorithm as keyof typeof curves]
                          .publicKey.asymmetricKeyDetails?.namedCurve as string,
                      }).privateKey
                    : generateKeyPairSync('rsa', { modulusLength: 2048 })
                        .privateKey,
              }),
        } as JwtKey;
        expectCode(await app.get(tokenOf(impostor)), 'invalid_signature');
      },
    );

    it.each([
      ['an unknown kid', { kid: 'nope' }, 'unknown_key'],
      ['no kid', {}, 'unknown_key'],
      ['an empty kid', { kid: '' }, 'unknown_key'],
    ] as const)('refuses a token with %s', async (_name, header, code) => {
      expectCode(await app.get(tokenOf(EVERY_KEY[3], header)), code);
    });

    it('refuses a kid that is not a string as malformed', async () => {
      const token = tokenOf(EVERY_KEY[0], {});
      const [, payload, signature] = token.split('.');
      const header = b64url(JSON.stringify({ alg: 'HS256', kid: 7 }));
      expectCode(
        await app.get(`${header}.${payload}.${signature}`),
        'token_malformed',
      );
    });

    it('refuses a token whose alg is not the one of the key its kid names', async () => {
      const rs256 = EVERY_KEY[3];
      const signed = tokenOf({ ...rs256, kid: 'RS256' }, { kid: 'RS384' });
      expectCode(await app.get(signed), 'algorithm_not_allowed');
    });

    it.each(['RS256', 'PS256', 'ES256'])(
      'refuses an HS256 token HMAC-signed with the %s public key (algorithm confusion)',
      async (kid) => {
        const key = EVERY_KEY.find((entry) => entry.kid === kid) as {
          privateKey: KeyObject;
        };
        const publicPem = spki(key.privateKey);
        for (const alg of ['HS256', 'HS384', 'HS512']) {
          expectCode(
            await app.get(hmacToken({ alg, kid }, publicPem)),
            'algorithm_not_allowed',
          );
        }
      },
    );

    it('ignores jku, x5u and jwk in the header: the key is the ring’s', async () => {
      const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forged = jwt.sign(
        { sub: '7', exp: nowSeconds() + 60 },
        attacker.privateKey,
        {
          algorithm: 'RS256',
          keyid: 'RS256',
          header: {
            alg: 'RS256',
            jku: 'http://127.0.0.1:1/jwks.json',
            x5u: 'http://127.0.0.1:1/cert.pem',
            jwk: attacker.publicKey.export({ format: 'jwk' }),
          } as jwt.JwtHeader,
        },
      );
      expectCode(await app.get(forged), 'invalid_signature');
    });

    it('refuses alg none and unknown algorithms before any key', async () => {
      const none = `${b64url('{"alg":"none","kid":"HS256"}')}.${b64url(
        JSON.stringify({ sub: '7', exp: nowSeconds() + 60 }),
      )}.`;
      expectCode(await app.get(`${none}AA`), 'algorithm_not_allowed');
      expectCode(
        await app.get(hmacToken({ alg: 'EdDSA', kid: 'ES256' }, 'x')),
        'algorithm_not_allowed',
      );
    });
  });

  it.each(EVERY_KEY.map((key) => [key.algorithm, key] as const))(
    'signs with a %s key: its kid and alg in the header, verified by jose',
    async (algorithm, key) => {
      const { tokens, get } = await start({ keys: [key] });
      const token = await tokens.sign({ sub: 9 });
      expect(decodeProtectedHeader(token)).toEqual({
        alg: algorithm,
        kid: algorithm,
        typ: 'JWT',
      });
      expect((await get(token)).status).toBe(200);
      const publicKey = algorithm.startsWith('HS')
        ? undefined
        : createPublicKey(signingKeyOf(key) as KeyObject);
      // Web Crypto, under jose, takes no key typed RSA-PSS.
      if (
        publicKey !== undefined &&
        publicKey.asymmetricKeyType !== 'rsa-pss'
      ) {
        const { payload } = await jwtVerify(token, publicKey, {
          algorithms: [algorithm],
        });
        expect(payload.sub).toBe('9');
      }
    },
  );

  describe('rotation', () => {
    const oldKey = {
      kid: '2026-01',
      algorithm: 'ES256',
      privateKey: curves.ES256.privateKey,
    } as const;
    const newKey = {
      kid: '2026-02',
      algorithm: 'ES256',
      privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    } as const;

    it('keeps old tokens valid until their key is removed', async () => {
      const before = await start({ keys: [oldKey] });
      const oldToken = await before.tokens.sign({ sub: 1 });

      // The new key signs; the old one, kept public only, still verifies.
      const during = await start({
        keys: [
          newKey,
          {
            ...oldKey,
            privateKey: undefined,
            publicKey: curves.ES256.publicKey,
          },
        ],
      });
      const newToken = await during.tokens.sign({ sub: 2 });
      expect(decodeProtectedHeader(newToken).kid).toBe('2026-02');
      expect((await during.get(oldToken)).body).toEqual({ userId: 1 });
      expect((await during.get(newToken)).body).toEqual({ userId: 2 });
      // Instances not yet rotated keep admitting old tokens only.
      expectCode(await before.get(newToken), 'unknown_key');

      const after = await start({ keys: [newKey] });
      expectCode(await after.get(oldToken), 'unknown_key');
      expect((await after.get(newToken)).body).toEqual({ userId: 2 });
    });

    it('chooses the signing key by signingKeyId', async () => {
      const { tokens } = await start({
        keys: [
          newKey,
          { kid: 'rsa', algorithm: 'RS256', privateKey: rsa.privateKey },
        ],
        signingKeyId: 'rsa',
      });
      expect(
        decodeProtectedHeader(await tokens.sign({ sub: 1 })),
      ).toMatchObject({
        alg: 'RS256',
        kid: 'rsa',
      });
    });

    it('verifies with a list of public keys only, and signs nothing', async () => {
      const { tokens, get } = await start({
        keys: [
          {
            kid: '2026-02',
            algorithm: 'ES256',
            publicKey: spki(newKey.privateKey),
          },
        ],
      });
      const issued = await (
        await start({ keys: [newKey] })
      ).tokens.sign({ sub: 3 });
      expect((await get(issued)).body).toEqual({ userId: 3 });
      await expect(tokens.sign({ sub: 3 })).rejects.toThrow(
        'no key of "keys" has its private key',
      );
    });
  });

  describe('tokens without a kid', () => {
    const secret = randomBytes(32);

    it('a single key without a kid admits them, whatever their kid', async () => {
      const { get, tokens } = await start({ secret });
      const signed = await tokens.sign({ sub: 4 });
      expect(decodeProtectedHeader(signed).kid).toBeUndefined();
      const key = { algorithm: 'HS256', secret } as const;
      for (const kid of [undefined, 'anything', '']) {
        expect((await get(tokenOf(key, { kid }))).status).toBe(200);
      }
    });

    it('in a list, the key without a kid admits only the tokens without one', async () => {
      const { get } = await start({
        keys: [
          {
            kid: 'new',
            algorithm: 'ES256',
            privateKey: curves.ES256.privateKey,
          },
          { algorithm: 'HS256', secret },
        ],
      });
      const legacy = { algorithm: 'HS256', secret } as const;
      expect((await get(tokenOf(legacy, {}))).status).toBe(200);
      expectCode(await get(tokenOf(legacy, { kid: 'old' })), 'unknown_key');
    });
  });
});

describe('TokenService with keys', () => {
  it.each(EVERY_KEY.map((key) => [key.algorithm, key] as const))(
    'verifies its own %s tokens',
    async (_algorithm, key) => {
      const { Test } = await import('@nestjs/testing');
      const moduleRef = await Test.createTestingModule({
        imports: [JwtAuthModule.forRoot({ keys: [key] })],
      }).compile();
      const tokens = moduleRef.get(TokenService);
      const user = await tokens.verify(await tokens.sign({ sub: 11 }));
      expect(user.userId).toBe(11);
      await moduleRef.close();
    },
  );
});
