import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  VersioningType,
  type INestApplication,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  CurrentUser,
  JwtAuthModule,
  JwtAuthOptionsError,
  TokenService,
  type JwtAuthModuleOptions,
  type JwtKey,
} from '../src/jwt-auth/index.js';
import {
  ADAPTERS,
  expectRefusal,
  http,
  startApp,
  type AdapterName,
} from './support/app.js';

const JWKS_PATH = '/.well-known/jwks.json';

const hmac = randomBytes(32);
const es = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rs = generateKeyPairSync('rsa', { modulusLength: 2048 });

/**
 * An HMAC key, an EC key that signs, and an RSA key held without its
 * private key, as a retired key or another instance's is.
 */
const RING: readonly JwtKey[] = [
  { kid: 'hs', algorithm: 'HS256', secret: hmac },
  { kid: 'es', algorithm: 'ES256', privateKey: es.privateKey },
  { kid: 'rs', algorithm: 'RS256', publicKey: rs.publicKey },
];

@Controller('orders')
class OrdersController {
  @Get()
  list(@CurrentUser() userId: number): { owner: number } {
    return { owner: userId };
  }
}

describe.each(ADAPTERS)('publishJwks: true (%s)', (adapter) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp(
      {
        imports: [
          JwtAuthModule.forRoot({
            keys: RING,
            signingKeyId: 'es',
            publishJwks: true,
            globalGuard: true,
          }),
        ],
        controllers: [OrdersController],
      },
      adapter,
    );
  });

  afterAll(async () => {
    await app.close();
  });

  it('serves the set as UTF-8 JSON that may be cached for five minutes', async () => {
    const response = await http(app).get(JWKS_PATH);
    expect({
      status: response.status,
      contentType: response.headers['content-type'],
      cacheControl: response.headers['cache-control'],
    }).toEqual({
      status: 200,
      contentType: 'application/json; charset=utf-8',
      cacheControl: 'public, max-age=300',
    });
  });

  it('publishes exactly the public keys of the ring, the one held without its private key included', async () => {
    const response = await http(app).get(JWKS_PATH);
    const ec = es.publicKey.export({ format: 'jwk' });
    const rsa = rs.publicKey.export({ format: 'jwk' });
    expect(JSON.parse(response.text)).toEqual({
      keys: [
        {
          kty: 'EC',
          kid: 'es',
          use: 'sig',
          alg: 'ES256',
          crv: 'P-256',
          x: ec.x,
          y: ec.y,
        },
        { kty: 'RSA', kid: 'rs', use: 'sig', alg: 'RS256', n: rsa.n, e: rsa.e },
      ],
    });
  });

  it('is open under globalGuard, which still guards the other routes', async () => {
    expect((await http(app).get(JWKS_PATH)).status).toBe(200);
    expectRefusal(await http(app).get('/orders'), 'api');
  });

  it("lets a verifier check the module's tokens with the served set alone", async () => {
    const keySet = createLocalJWKSet(
      JSON.parse((await http(app).get(JWKS_PATH)).text) as Parameters<
        typeof createLocalJWKSet
      >[0],
    );
    const token = await app.get(TokenService).sign({ sub: 7 });

    const { payload, protectedHeader } = await jwtVerify(token, keySet);

    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'es' });
    expect(payload.sub).toBe('7');
  });

  it('lets a verifier check the tokens of the key held without its private key', async () => {
    const keySet = createLocalJWKSet(
      JSON.parse((await http(app).get(JWKS_PATH)).text) as Parameters<
        typeof createLocalJWKSet
      >[0],
    );
    const elsewhere = await new SignJWT({ sub: '8' })
      .setProtectedHeader({ alg: 'RS256', kid: 'rs' })
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(rs.privateKey);

    await expect(jwtVerify(elsewhere, keySet)).resolves.toMatchObject({
      payload: { sub: '8' },
    });
    const response = await http(app)
      .get('/orders')
      .set('Authorization', `Bearer ${elsewhere}`);
    expect(response.body).toEqual({ owner: 8 });
  });
});

describe.each(ADAPTERS)('publishJwks left out (%s)', (adapter) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp(
      { imports: [JwtAuthModule.forRoot({ keys: RING, signingKeyId: 'es' })] },
      adapter,
    );
  });

  afterAll(async () => {
    await app.close();
  });

  it('serves no key set', async () => {
    expect((await http(app).get(JWKS_PATH)).status).toBe(404);
  });
});

@Controller('ping')
class PingController {
  @Get()
  ping(): { pong: true } {
    return { pong: true };
  }
}

/** An app with a global prefix that spares the key set, and URI versions. */
async function startPrefixedApp(
  adapter: AdapterName,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      JwtAuthModule.forRoot({
        keys: RING,
        signingKeyId: 'es',
        publishJwks: true,
      }),
    ],
    controllers: [PingController],
  }).compile();
  const app =
    adapter === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
      : moduleRef.createNestApplication({ logger: false });
  app.setGlobalPrefix('api', { exclude: ['.well-known/jwks.json'] });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  await app.listen(0, '127.0.0.1');
  return app;
}

describe.each(ADAPTERS)(
  'publishJwks with a global prefix and URI versioning (%s)',
  (adapter) => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await startPrefixedApp(adapter);
    });

    afterAll(async () => {
      await app.close();
    });

    it('serves the set at the well-known path, outside any version', async () => {
      expect((await http(app).get('/api/v1/ping')).status).toBe(200);
      const response = await http(app).get(JWKS_PATH);
      expect(response.status).toBe(200);
      expect(
        (JSON.parse(response.text) as { keys: { kid: string }[] }).keys.map(
          ({ kid }) => kid,
        ),
      ).toEqual(['es', 'rs']);
    });
  },
);

describe('publishJwks without a public key to publish', () => {
  it.each<[string, JwtAuthModuleOptions, RegExp]>([
    ['"secret"', { secret: hmac }, /needs an RSA or EC key/],
    [
      'HMAC keys alone',
      {
        keys: [
          RING[0],
          { kid: 'hs2', algorithm: 'HS512', secret: randomBytes(64) },
        ],
      },
      /needs an RSA or EC key/,
    ],
    [
      '"jwks"',
      {
        jwks: { uri: 'https://idp.example/.well-known/jwks.json' },
        issuer: 'https://idp.example/',
        audience: 'api',
      },
      /nothing to publish with "jwks"/,
    ],
  ])('fails at startup with %s', async (_label, options, why) => {
    const startup = Test.createTestingModule({
      imports: [JwtAuthModule.forRoot({ ...options, publishJwks: true })],
    }).compile();

    await expect(startup).rejects.toThrow(JwtAuthOptionsError);
    await expect(startup).rejects.toMatchObject({
      option: 'publishJwks',
      message: expect.stringMatching(why) as unknown,
    });
  });
});
