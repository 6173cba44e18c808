import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
} from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import {
  INVALID_TOKEN_DESCRIPTIONS,
  JwtAuthModule,
  KeySetUnavailableError,
  TokenService,
  type InvalidTokenCode,
  type JwksOptions,
} from '../src/jwt-auth/index.js';
import {
  ADAPTERS,
  expectRefusal,
  expectUnavailable,
  http,
  startApp,
} from './support/app.js';
import { forgeToken, b64url, nowSeconds } from './support/jws.js';
import { ProfileController } from './support/profile.controller.js';
import {
  providerKey,
  TestJwksProvider,
  type ProviderKey,
} from './support/jwks-provider.js';

const realm = 'idp';
const COOLDOWN = 400;

function expectCode(response: Response, code: InvalidTokenCode): void {
  expectRefusal(response, realm, INVALID_TOKEN_DESCRIPTIONS[code]);
}

/** The module's 503 when the provider's keys cannot be fetched. */
const expectKeysUnavailable = (response: Response): void =>
  expectUnavailable(response, 'The token signing keys are unavailable');

describe.each(ADAPTERS)('jwks: an identity provider’s keys (%s)', (adapter) => {
  let provider: TestJwksProvider;
  let app: INestApplication;
  let rsa: ProviderKey;
  let ec: ProviderKey;

  const get = (token: string) =>
    http(app).get('/profile').set('Authorization', `Bearer ${token}`);

  async function boot(jwks: Partial<JwksOptions> = {}, issuer = provider.url) {
    await app?.close();
    app = await startApp(
      {
        imports: [
          JwtAuthModule.forRoot({
            realm,
            issuer,
            audience: 'api',
            jwks: {
              uri: provider.jwksUri,
              algorithms: ['RS256', 'ES256'],
              cooldown: COOLDOWN,
              timeout: 300,
              ...jwks,
            },
          }),
        ],
        controllers: [ProfileController],
      },
      adapter,
    );
  }

  beforeAll(() => {
    rsa = providerKey('RS256', 'rsa-1');
    ec = providerKey('ES256', 'ec-1');
  });

  beforeEach(async () => {
    provider = await new TestJwksProvider().start();
    provider.keys = [rsa, ec];
    await boot();
  });

  afterEach(async () => {
    await app.close();
    await provider.stop();
  });

  it('admits a token of each of its keys, fetching the set once', async () => {
    for (const key of [rsa, ec]) {
      for (let round = 0; round < 2; round++) {
        const response = await get(provider.sign(key));
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ userId: 42 });
      }
    }
    expect(provider.setFetches).toBe(1);
  });

  it('fetches nothing until a token comes', async () => {
    await sleep(50);
    expect(provider.paths).toEqual([]);
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example' }, 'claim_mismatch'],
    ['no issuer', { iss: undefined }, 'claim_mismatch'],
    ['another audience', { aud: 'other' }, 'claim_mismatch'],
    ['no audience', { aud: undefined }, 'claim_mismatch'],
    ['an expired one', { exp: nowSeconds() - 10 }, 'token_expired'],
  ] as const)('refuses a token for %s', async (_name, claims, code) => {
    expectCode(await get(provider.sign(rsa, claims)), code);
  });

  it('refuses algorithms it was not given, before any fetch', async () => {
    const ps = providerKey('PS256', 'rsa-1');
    expectCode(await get(provider.sign(ps)), 'algorithm_not_allowed');
    // An HS256 token keyed with the provider's public key: the confusion.
    const publicPem = rsa.publicKey
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const confused = forgeToken({
      header: { alg: 'HS256', kid: 'rsa-1' },
      payload: {
        sub: '42',
        iss: provider.url,
        aud: 'api',
        exp: nowSeconds() + 60,
      },
      key: publicPem,
    });
    expectCode(await get(confused), 'algorithm_not_allowed');
    expect(provider.setFetches).toBe(0);
  });

  it('refuses a token signed by another key under a published kid', async () => {
    const impostor = { ...providerKey('RS256'), kid: 'rsa-1' };
    expectCode(await get(provider.sign(impostor)), 'invalid_signature');
  });

  it('refuses a token of a published RSA key under 2048 bits', async () => {
    const weak = {
      kid: 'weak',
      algorithm: 'RS256',
      ...generateKeyPairSync('rsa', { modulusLength: 1024 }),
    } as const;
    provider.keys = [weak, rsa];
    expectCode(await get(provider.sign(weak)), 'unknown_key');
    expect((await get(provider.sign(rsa))).status).toBe(200);
  });

  it('refuses a token of a published key that cannot be used, and fetches on as before', async () => {
    provider.rawKeys = [
      {
        kty: 'EC',
        crv: 'P-256',
        x: 'AA',
        y: 'AA',
        kid: 'broken',
        alg: 'ES256',
      },
    ];
    const named = (kid: string) => provider.sign(ec, {}, { kid });
    expectCode(await get(named('broken')), 'unknown_key');
    expectCode(await get(named('broken')), 'unknown_key');
    expect(provider.setFetches).toBe(1);
    // No fetch failed: a key the provider has just added is still fetched.
    const added = providerKey('RS256', 'rsa-2');
    provider.keys = [rsa, ec, added];
    expect((await get(provider.sign(added))).status).toBe(200);
    expect(provider.setFetches).toBe(2);
  });

  it('makes one fetch for a token with an unknown kid once the set is old', async () => {
    await boot({ cacheMaxAge: 1000 });
    expect((await get(provider.sign(rsa))).status).toBe(200);
    await sleep(1100);
    expectCode(
      await get(provider.sign(rsa, {}, { kid: 'nope' })),
      'unknown_key',
    );
    expect(provider.setFetches).toBe(2);
  });

  it('follows no jku, x5u or jwk of a token', async () => {
    const attacker = providerKey('RS256', 'attacker');
    const token = provider.sign(attacker);
    const [, payload, signature] = token.split('.');
    const header = b64url(
      JSON.stringify({
        alg: 'RS256',
        kid: 'attacker',
        jku: `${provider.url}/jku.json`,
        x5u: `${provider.url}/x5u.pem`,
        jwk: attacker.publicKey.export({ format: 'jwk' }),
      }),
    );
    expectCode(await get(`${header}.${payload}.${signature}`), 'unknown_key');
    expect(provider.paths.every((path) => path === '/jwks.json')).toBe(true);
  });

  it('accepts the first token of a key the provider adds, without a restart', async () => {
    expect((await get(provider.sign(rsa))).status).toBe(200);
    const rotated = providerKey('ES256', 'ec-2');
    provider.keys = [rotated, rsa, ec];
    const response = await get(provider.sign(rotated));
    expect(response.status).toBe(200);
    expect(provider.setFetches).toBe(2);
  });

  it('makes at most one fetch per cooldown under a flood of unknown kids', async () => {
    expect((await get(provider.sign(rsa))).status).toBe(200);
    const flood = () =>
      Promise.all(
        Array.from({ length: 40 }, () =>
          get(provider.sign(rsa, {}, { kid: randomBytes(8).toString('hex') })),
        ),
      );
    for (const response of await flood()) expectCode(response, 'unknown_key');
    for (const response of await flood()) expectCode(response, 'unknown_key');
    expect(provider.setFetches).toBe(2);
    // Known keys are still served from the set, no fetch.
    expect((await get(provider.sign(ec))).status).toBe(200);
    await sleep(COOLDOWN + 50);
    for (const response of await flood()) expectCode(response, 'unknown_key');
    expect(provider.setFetches).toBe(3);
  });

  it('remembers a verified token no longer than its key set stays fresh', async () => {
    await boot({ cacheMaxAge: 1000 });
    expect((await get(provider.sign(ec))).status).toBe(200);
    await sleep(600);
    // Verified 600 ms into the set's 1000: remembered for 400 ms, not 1000.
    const token = provider.sign(rsa);
    expect((await get(token)).status).toBe(200);
    expect((await get(token)).status).toBe(200);
    provider.keys = [ec];
    await sleep(500);
    expectCode(await get(token), 'unknown_key');
  });

  it('retires a key the provider removes, within cacheMaxAge', async () => {
    await boot({ cacheMaxAge: 1000 });
    const token = provider.sign(rsa);
    expect((await get(token)).status).toBe(200);
    expect((await get(token)).status).toBe(200);
    provider.keys = [ec];
    await sleep(1100);
    expectCode(await get(token), 'unknown_key');
    expect((await get(provider.sign(ec))).status).toBe(200);
  });

  describe.each([
    ['answers 500', 'error'],
    ['hangs past the timeout', 'hang'],
    ['resets the connection', 'reset'],
    ['redirects', 'redirect'],
    ['sends a broken JSON body', 'junk'],
  ] as const)('when the provider %s', (_name, mode) => {
    it('answers 503 with Retry-After, and fetches no more within the cooldown', async () => {
      provider.mode = mode;
      expectKeysUnavailable(await get(provider.sign(rsa)));
      expect(provider.setFetches).toBe(1);
      expectKeysUnavailable(await get(provider.sign(ec)));
      expect(provider.setFetches).toBe(1);
      expect(provider.paths).not.toContain('/elsewhere.json');
      provider.mode = 'ok';
      await sleep(COOLDOWN + 50);
      expect((await get(provider.sign(rsa))).status).toBe(200);
      expect(provider.setFetches).toBe(2);
    });
  });

  it('keeps verifying with a fresh set while the provider is down', async () => {
    expect((await get(provider.sign(rsa))).status).toBe(200);
    provider.mode = 'error';
    await sleep(COOLDOWN + 50);
    // A known key: no fetch needed.
    expect((await get(provider.sign(ec))).status).toBe(200);
    // A new kid cannot be told from a forgery while the set is out of reach,
    // and no other fetch is made within the cooldown.
    expectKeysUnavailable(await get(provider.sign(providerKey('RS256'))));
    expectKeysUnavailable(await get(provider.sign(providerKey('ES256'))));
    expect(provider.setFetches).toBe(2);
    expect((await get(provider.sign(rsa, { sub: '43' }))).body).toEqual({
      userId: 43,
    });
  });

  it('fails closed once the set is older than cacheMaxAge and the provider is down', async () => {
    await boot({ cacheMaxAge: 1000 });
    expect((await get(provider.sign(rsa))).status).toBe(200);
    provider.mode = 'error';
    await sleep(1100);
    expectKeysUnavailable(await get(provider.sign(rsa, { sub: '44' })));
  });

  it('finds the set through OpenID discovery', async () => {
    await boot({ uri: undefined, discover: true });
    expect((await get(provider.sign(rsa))).status).toBe(200);
    expect((await get(provider.sign(ec))).status).toBe(200);
    expect(provider.metadataFetches).toBe(1);
    expect(provider.paths).toEqual([
      '/.well-known/openid-configuration',
      '/jwks.json',
    ]);
  });

  it('refuses discovery metadata that names another issuer, with 503', async () => {
    provider.claimedIssuer = 'https://evil.example';
    await boot({ uri: undefined, discover: true });
    expectKeysUnavailable(await get(provider.sign(rsa)));
    expect(provider.setFetches).toBe(0);
  });
});

describe('jwks: TokenService', () => {
  let provider: TestJwksProvider;

  beforeAll(async () => {
    provider = await new TestJwksProvider().start();
    provider.keys = [providerKey('RS256', 'k')];
  });

  afterAll(async () => {
    await provider.stop();
  });

  async function tokenService() {
    const moduleRef = await Test.createTestingModule({
      imports: [
        JwtAuthModule.forRoot({
          issuer: provider.url,
          audience: 'api',
          jwks: { uri: provider.jwksUri, cooldown: COOLDOWN },
        }),
      ],
    }).compile();
    return { moduleRef, tokens: moduleRef.get(TokenService) };
  }

  it('verifies a provider token and signs none', async () => {
    const { moduleRef, tokens } = await tokenService();
    const user = await tokens.verify(provider.sign(provider.keys[0]));
    expect(user.userId).toBe(42);
    await expect(tokens.sign({ sub: 1 })).rejects.toThrow(
      'this module verifies the tokens of an identity provider (jwks) and signs none',
    );
    await moduleRef.close();
  });

  it('throws KeySetUnavailableError when the provider is down', async () => {
    const { moduleRef, tokens } = await tokenService();
    provider.mode = 'error';
    await expect(
      tokens.verify(provider.sign(provider.keys[0])),
    ).rejects.toBeInstanceOf(KeySetUnavailableError);
    provider.mode = 'ok';
    await moduleRef.close();
  });
});
