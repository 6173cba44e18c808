import { beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { randomBytes } from 'node:crypto';
import { b64url, forgeToken, nowSeconds } from '../../test/support/jws.js';
import { tokenServiceFor } from '../../test/support/services.js';
import {
  InvalidTokenError,
  type InvalidTokenCode,
} from './errors/invalid-token.error.js';
import type { JwtAuthModuleOptions } from './interfaces/jwt-auth-module-options.interface.js';
import { resolveJwtAuthOptions } from './jwt-auth.options.js';
import type { TokenService } from './token.service.js';

const secret = randomBytes(32).toString('base64url');
const otherSecret = randomBytes(32).toString('base64url');

function createService(
  options: Partial<JwtAuthModuleOptions> = {},
): TokenService {
  return tokenServiceFor(resolveJwtAuthOptions({ secret, ...options }));
}

async function refusalCode(
  service: TokenService,
  token: string,
): Promise<InvalidTokenCode> {
  try {
    await service.verify(token);
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.code;
    throw error;
  }
  throw new Error('expected the token to be refused');
}

const decodeSegment = (token: string, index: number): Record<string, unknown> =>
  JSON.parse(
    Buffer.from(token.split('.')[index], 'base64url').toString('utf8'),
  ) as Record<string, unknown>;

describe('TokenService', () => {
  let service: TokenService;
  beforeAll(() => {
    service = createService();
  });

  describe('sign', () => {
    it('signs sub as a string with iat, exp (UTC seconds) and a random jti', async () => {
      const before = nowSeconds();
      const token = await service.sign({ sub: 42, role: 'admin' });
      const after = nowSeconds();

      expect(decodeSegment(token, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
      const claims = decodeSegment(token, 1);
      expect(claims.sub).toBe('42');
      expect(claims.role).toBe('admin');
      expect(claims.iat).toBeGreaterThanOrEqual(before);
      expect(claims.iat).toBeLessThanOrEqual(after);
      expect(claims.exp).toBe((claims.iat as number) + 86_400);
      expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
      expect(claims).not.toHaveProperty('iss');
      expect(claims).not.toHaveProperty('aud');
      // jsonwebtoken, given the same secret, agrees the signature is good.
      expect(
        jwt.verify(token, secret, { algorithms: ['HS256'] }),
      ).toMatchObject({ sub: '42' });
    });

    it('gives every token its own jti', async () => {
      const a = decodeSegment(await service.sign({ sub: '1' }), 1);
      const b = decodeSegment(await service.sign({ sub: '1' }), 1);
      expect(a.jti).not.toBe(b.jti);
    });

    it('does not change the claims it is given', async () => {
      const claims = { sub: 7, scope: 'read' };
      await service.sign(claims);
      expect(claims).toEqual({ sub: 7, scope: 'read' });
    });

    it('honours a per-token lifetime', async () => {
      const claims = decodeSegment(
        await service.sign({ sub: 1 }, { expiresIn: 60 }),
        1,
      );
      expect(claims.exp).toBe((claims.iat as number) + 60);
    });

    it('signs with the configured algorithm, issuer and first audience', async () => {
      const configured = createService({
        secret: randomBytes(64),
        algorithm: 'HS512',
        issuer: 'https://id.example',
        audience: ['orders', 'billing'],
      });
      const token = await configured.sign({ sub: 5 });
      expect(decodeSegment(token, 0).alg).toBe('HS512');
      expect(decodeSegment(token, 1)).toMatchObject({
        iss: 'https://id.example',
        aud: 'orders',
      });
      await expect(configured.verify(token)).resolves.toMatchObject({
        userId: 5,
      });
    });

    it.each([
      ' 42',
      '+42',
      '042',
      '-1',
      '4.2',
      '',
      'abc',
      -1,
      1.5,
      null,
      undefined,
      true,
    ])('refuses sub %p', async (sub) => {
      await expect(service.sign({ sub: sub as string })).rejects.toThrow(
        TypeError,
      );
    });

    it.each(['iat', 'exp', 'nbf', 'jti', 'iss', 'aud'])(
      'refuses a caller-set %s',
      async (claim) => {
        await expect(service.sign({ sub: 1, [claim]: 1 })).rejects.toThrow(
          `"${claim}"`,
        );
      },
    );

    it.each(['read', 'read write', 'orders:read a/b+c', '!#[]~'])(
      'signs the scope claim %p as given',
      async (scope) => {
        const claims = decodeSegment(await service.sign({ sub: 1, scope }), 1);
        expect(claims.scope).toBe(scope);
      },
    );

    it.each([
      ['an empty string', ''],
      ['a double space', 'read  write'],
      ['a leading space', ' read'],
      ['a trailing space', 'read '],
      ['a tab', 'read\twrite'],
      ['a quote', 'read"'],
      ['a backslash', 'read\\'],
      ['non-ASCII', 'écrire'],
      ['an array', ['read']],
      ['a number', 1],
      ['null', null],
    ])('refuses a scope claim with %s', async (_label, scope) => {
      await expect(
        service.sign({ sub: 1, scope: scope as string }),
      ).rejects.toThrow(/claim "scope"/);
    });

    it.each([0, -5, 1.5, NaN])(
      'refuses a per-token lifetime of %p',
      async (expiresIn) => {
        await expect(service.sign({ sub: 1 }, { expiresIn })).rejects.toThrow(
          TypeError,
        );
      },
    );
  });

  describe('createTokenResponse', () => {
    it('answers in the RFC 6749 5.1 shape', async () => {
      const response = await service.createTokenResponse(3);
      expect(Object.keys(response).sort()).toEqual([
        'access_token',
        'expires_in',
        'token_type',
      ]);
      expect(response.token_type).toBe('Bearer');
      expect(response.expires_in).toBe(86_400);
      await expect(
        service.verify(response.access_token),
      ).resolves.toMatchObject({ userId: 3 });
    });

    it('grants scopes in the token and reports them (RFC 6749 5.1)', async () => {
      const response = await service.createTokenResponse(3, {
        scopes: ['read', 'write', 'read'],
      });
      expect(response.scope).toBe('read write');
      expect(decodeSegment(response.access_token, 1).scope).toBe('read write');
    });

    it('grants no scope and reports none for an empty list', async () => {
      const response = await service.createTokenResponse(3, { scopes: [] });
      expect(response).not.toHaveProperty('scope');
      expect(decodeSegment(response.access_token, 1)).not.toHaveProperty(
        'scope',
      );
    });

    it.each([['read write'], [''], ['a"b'], [7]])(
      'refuses the scope %p, naming it',
      async (scope) => {
        await expect(
          service.createTokenResponse(3, { scopes: [scope as string] }),
        ).rejects.toThrow(
          new TypeError(
            `TokenService.createTokenResponse(): ${typeof scope === 'string' ? JSON.stringify(scope) : typeof scope} is not a scope-token (RFC 6749 3.3)`,
          ),
        );
      },
    );

    it('reports a per-token lifetime', async () => {
      const response = await service.createTokenResponse('3', {
        expiresIn: 120,
      });
      expect(response.expires_in).toBe(120);
      const claims = decodeSegment(response.access_token, 1);
      expect(claims.exp).toBe((claims.iat as number) + 120);
    });
  });

  describe('verify', () => {
    it('returns the numeric user id and the claims', async () => {
      const token = await service.sign({ sub: '0', scope: 'read' });
      const user = await service.verify(token);
      expect(user.userId).toBe(0);
      expect(user.claims).toMatchObject({ sub: '0', scope: 'read' });
    });

    it('refuses a revoked token that the cache holds', async () => {
      const token = await service.sign({ sub: 3 });
      await service.verify(token);
      const held = await service.verify(token);
      await expect(service.verify(token)).resolves.toBe(held);
      await service.revoke(token);
      expect(await refusalCode(service, token)).toBe('token_revoked');
    });

    it('accepts a JSON integer sub', async () => {
      const token = forgeToken({
        payload: { sub: 9, exp: nowSeconds() + 60 },
        key: secret,
      });
      await expect(service.verify(token)).resolves.toMatchObject({ userId: 9 });
    });

    it('accepts a token within the clock tolerance', async () => {
      const lenient = createService({ clockTolerance: 30 });
      const token = forgeToken({
        payload: { sub: '1', exp: nowSeconds() - 10 },
        key: secret,
      });
      await expect(lenient.verify(token)).resolves.toMatchObject({ userId: 1 });
      expect(await refusalCode(service, token)).toBe('token_expired');
    });

    it('accepts an iat within the clock tolerance, from an issuer whose clock runs ahead', async () => {
      const lenient = createService({ clockTolerance: 30 });
      const token = forgeToken({
        payload: { sub: '1', exp: nowSeconds() + 60, iat: nowSeconds() + 10 },
        key: secret,
      });
      await expect(lenient.verify(token)).resolves.toMatchObject({ userId: 1 });
      expect(await refusalCode(service, token)).toBe('token_not_yet_valid');
    });

    const exp = () => nowSeconds() + 600;
    const cases: ReadonlyArray<[string, () => string, InvalidTokenCode]> = [
      ['an empty string', () => '', 'token_malformed'],
      ['two segments', () => 'a.b', 'token_malformed'],
      ['four segments', () => 'a.b.c.d', 'token_malformed'],
      [
        'an empty signature',
        () =>
          forgeToken({
            payload: { sub: '1', exp: exp() },
            key: secret,
          }).replace(/[^.]+$/, ''),
        'token_malformed',
      ],
      [
        'a padded segment',
        () =>
          forgeToken({ payload: { sub: '1', exp: exp() }, key: secret }) + '=',
        'token_malformed',
      ],
      [
        'a base64 (not url) character',
        () =>
          forgeToken({
            payload: { sub: '1', exp: exp() },
            key: secret,
          }).replace('.', '+.'),
        'token_malformed',
      ],
      [
        'a header that is not JSON',
        () => `${b64url('{alg')}.${b64url('{}')}.c2ln`,
        'token_malformed',
      ],
      [
        'a header that is an array',
        () => `${b64url('["HS256"]')}.${b64url('{}')}.c2ln`,
        'token_malformed',
      ],
      [
        'a header that is null',
        () => `${b64url('null')}.${b64url('{}')}.c2ln`,
        'token_malformed',
      ],
      [
        'a payload that is not JSON',
        () => forgeToken({ payload: 'sub=1', key: secret }),
        'token_malformed',
      ],
      [
        'a payload that is a JSON string',
        () => forgeToken({ payload: '"sub"', key: secret }),
        'token_malformed',
      ],
      [
        'a payload that is an array',
        () => forgeToken({ payload: '[1]', key: secret }),
        'token_malformed',
      ],
      [
        'exp as a string',
        () =>
          forgeToken({
            payload: { sub: '1', exp: String(exp()) },
            key: secret,
          }),
        'token_malformed',
      ],
      [
        'alg none',
        () =>
          `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify({ sub: '1', exp: exp() }))}.`,
        'token_malformed',
      ],
      [
        'alg none with a signature',
        () =>
          forgeToken({
            header: { alg: 'none' },
            payload: { sub: '1', exp: exp() },
            key: secret,
            signWith: 'HS256',
          }),
        'algorithm_not_allowed',
      ],
      [
        'alg NONE',
        () =>
          forgeToken({
            header: { alg: 'NONE' },
            payload: { sub: '1', exp: exp() },
            key: secret,
            signWith: 'HS256',
          }),
        'algorithm_not_allowed',
      ],
      [
        'alg HS512 where HS256 is pinned',
        () =>
          forgeToken({
            header: { alg: 'HS512' },
            payload: { sub: '1', exp: exp() },
            key: secret,
          }),
        'algorithm_not_allowed',
      ],
      [
        'alg RS256 signed with the secret',
        () =>
          forgeToken({
            header: { alg: 'RS256' },
            payload: { sub: '1', exp: exp() },
            key: secret,
            signWith: 'HS256',
          }),
        'algorithm_not_allowed',
      ],
      [
        'no alg',
        () =>
          forgeToken({
            header: { typ: 'JWT' },
            payload: { sub: '1', exp: exp() },
            key: secret,
            signWith: 'HS256',
          }),
        'algorithm_not_allowed',
      ],
      [
        'a crit header',
        () =>
          forgeToken({
            header: { alg: 'HS256', crit: ['exp'] },
            payload: { sub: '1', exp: exp() },
            key: secret,
          }),
        'critical_header_unsupported',
      ],
      [
        'a crit header naming an extension',
        () =>
          forgeToken({
            header: {
              alg: 'HS256',
              crit: ['http://example.com/ext'],
              'http://example.com/ext': true,
            },
            payload: { sub: '1', exp: exp() },
            key: secret,
          }),
        'critical_header_unsupported',
      ],
      [
        'another secret',
        () =>
          forgeToken({ payload: { sub: '1', exp: exp() }, key: otherSecret }),
        'invalid_signature',
      ],
      [
        'a signature from another token',
        () => {
          const a = forgeToken({
            payload: { sub: '1', exp: exp() },
            key: secret,
          });
          const b = forgeToken({
            payload: { sub: '2', exp: exp() },
            key: secret,
          });
          return a.replace(/[^.]+$/, b.split('.')[2]);
        },
        'invalid_signature',
      ],
      [
        'a past exp',
        () =>
          forgeToken({
            payload: { sub: '1', exp: nowSeconds() - 1 },
            key: secret,
          }),
        'token_expired',
      ],
      [
        'a future nbf',
        () =>
          forgeToken({
            payload: { sub: '1', exp: exp(), nbf: nowSeconds() + 60 },
            key: secret,
          }),
        'token_not_yet_valid',
      ],
      [
        'a future iat',
        () =>
          forgeToken({
            payload: { sub: '1', exp: exp(), iat: nowSeconds() + 60 },
            key: secret,
          }),
        'token_not_yet_valid',
      ],
      [
        'an iat far in the future, which revokeAllForUser would never reach',
        () =>
          forgeToken({
            payload: { sub: '1', exp: exp(), iat: 1e308 },
            key: secret,
          }),
        'token_not_yet_valid',
      ],
      [
        'no exp',
        () => forgeToken({ payload: { sub: '1' }, key: secret }),
        'claim_missing',
      ],
      [
        'no sub',
        () => forgeToken({ payload: { exp: exp() }, key: secret }),
        'invalid_subject',
      ],
      [
        'a non-numeric sub',
        () =>
          forgeToken({ payload: { sub: 'alice', exp: exp() }, key: secret }),
        'invalid_subject',
      ],
      [
        'a padded sub',
        () => forgeToken({ payload: { sub: ' 42', exp: exp() }, key: secret }),
        'invalid_subject',
      ],
      [
        'a negative sub',
        () => forgeToken({ payload: { sub: -1, exp: exp() }, key: secret }),
        'invalid_subject',
      ],
      [
        'claims that are not UTF-8',
        () => {
          const [header, , signature] = forgeToken({
            payload: { sub: '1', exp: exp() },
            key: secret,
          }).split('.');
          const payload = Buffer.concat([
            Buffer.from(`{"sub":"1","exp":${exp()},"n":"`),
            Buffer.from([0xff, 0xfe]),
            Buffer.from('"}'),
          ]).toString('base64url');
          return `${header}.${payload}.${signature}`;
        },
        'token_malformed',
      ],
      [
        'a token longer than maxTokenLength',
        () =>
          forgeToken({
            payload: { sub: '1', exp: exp(), pad: 'x'.repeat(8192) },
            key: secret,
          }),
        'token_malformed',
      ],
      [
        'nbf as a string',
        () =>
          forgeToken({
            payload: { sub: '1', exp: exp(), nbf: '0' },
            key: secret,
          }),
        'token_malformed',
      ],
      [
        'iat as a string',
        () =>
          forgeToken({
            payload: { sub: '1', exp: exp(), iat: 'now' },
            key: secret,
          }),
        'token_malformed',
      ],
      [
        'exp beyond any date (1e400)',
        () => forgeToken({ payload: '{"sub":"1","exp":1e400}', key: secret }),
        'token_malformed',
      ],
      [
        'exp null',
        () => forgeToken({ payload: { sub: '1', exp: null }, key: secret }),
        'token_malformed',
      ],
    ];

    it('bounds the life a token has left, not how long ago it was issued', async () => {
      const now = nowSeconds();
      const backdated = forgeToken({
        payload: { sub: '1', iat: now - 3600, exp: now + 86_400 - 5 },
        key: secret,
      });
      expect((await service.verify(backdated)).userId).toBe(1);
      const tooLong = forgeToken({
        payload: { sub: '1', iat: now, exp: now + 86_400 + 5 },
        key: secret,
      });
      expect(await refusalCode(service, tooLong)).toBe(
        'token_lifetime_exceeded',
      );
    });

    it.each(cases)('refuses %s', async (_label, makeToken, code) => {
      const token = makeToken();
      expect(await refusalCode(service, token)).toBe(code);
    });

    // RFC 7515 4 and RFC 7519 4 let a parser take the last of repeated
    // member names, as JSON.parse does.
    it.each([
      [
        'a header member',
        '{"alg":"none","alg":"HS256"}',
        `{"sub":"1","exp":${exp()}}`,
        1,
      ],
      ['a claim', '{"alg":"HS256"}', `{"sub":"1","exp":${exp()},"sub":"2"}`, 2],
      [
        'a nested member',
        '{"alg":"HS256"}',
        `{"sub":"3","exp":${exp()},"ctx":{"a":1,"a":2}}`,
        3,
      ],
    ])(
      'reads the last of a repeated %s',
      async (_label, header, payload, userId) => {
        const token = forgeToken({
          header,
          payload,
          key: secret,
          signWith: 'HS256',
        });
        expect((await service.verify(token)).userId).toBe(userId);
      },
    );

    it('refuses a header whose last alg is not the pinned one', async () => {
      const token = forgeToken({
        header: '{"alg":"HS256","alg":"none"}',
        payload: { sub: '1', exp: exp() },
        key: secret,
        signWith: 'HS256',
      });
      expect(await refusalCode(service, token)).toBe('algorithm_not_allowed');
    });

    it.each([
      ['a bad subject', { sub: 'canary-subject', exp: exp() }],
      ['claims that are not JSON', '{"sub":"canary-subject",'],
      ['claims that are bare text', 'canary-subject'],
      ['claims that are not an object', '"canary-subject"'],
    ])(
      'puts no token text in the error, nor in its cause, for %s',
      async (_label, payload) => {
        const token = forgeToken({ payload, key: secret });
        const error = await service
          .verify(token)
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(InvalidTokenError);
        const seen = `${String(error)} ${JSON.stringify(error)} ${String((error as Error).cause)} ${(error as Error).stack ?? ''}`;
        expect(seen).not.toContain('canary');
        expect(seen).not.toContain(token.split('.')[1].slice(0, 12));
      },
    );

    it.each([
      ['a wrong issuer', { iss: 'https://evil.example', aud: 'api' }],
      ['a missing issuer', { aud: 'api' }],
      ['a wrong audience', { iss: 'https://id.example', aud: 'other' }],
      ['a missing audience', { iss: 'https://id.example' }],
    ])('refuses %s when both are configured', async (_label, claims) => {
      const strict = createService({
        issuer: 'https://id.example',
        audience: 'api',
      });
      const token = forgeToken({
        payload: { sub: '1', exp: exp(), ...claims },
        key: secret,
      });
      expect(await refusalCode(strict, token)).toBe('claim_mismatch');
    });

    it('accepts any configured audience', async () => {
      const multi = createService({ audience: ['orders', 'billing'] });
      const token = forgeToken({
        payload: { sub: '1', exp: exp(), aud: 'billing' },
        key: secret,
      });
      await expect(multi.verify(token)).resolves.toMatchObject({ userId: 1 });
    });

    it('takes a token up to maxTokenLength, and no longer', async () => {
      const token = await service.sign({ sub: 1 });
      const exact = createService({ maxTokenLength: token.length });
      await expect(exact.verify(token)).resolves.toMatchObject({ userId: 1 });
      const shorter = createService({ maxTokenLength: token.length - 1 });
      expect(await refusalCode(shorter, token)).toBe('token_malformed');
    });

    it('refuses a non-string token', async () => {
      expect(await refusalCode(service, 42 as unknown as string)).toBe(
        'token_malformed',
      );
    });
  });
});
