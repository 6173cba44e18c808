import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  Controller,
  ForbiddenException,
  Get,
  UnauthorizedException,
  type INestApplication,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { forgeToken, nowSeconds } from '../../test/support/jws.js';
import { BearerChallengeService } from './bearer-challenge.service.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtAuthModule } from './jwt-auth.module.js';
import { JwtStrategy } from './jwt.strategy.js';
import { OptionalAuth } from './optional-auth.decorator.js';
import { ANONYMOUS } from './optional-user.decorator.js';
import { Public } from './public.decorator.js';
import { RequireScopes } from './require-scopes.decorator.js';
import { TokenService } from './token.service.js';

const secret = randomBytes(32).toString('base64url');

@Controller()
class ProbeController {
  @Get('guarded')
  guarded(): void {}

  @Public()
  @Get('open')
  open(): void {}

  @OptionalAuth()
  @Get('optional')
  optional(): void {}

  @RequireScopes('read', 'write')
  @Get('scoped')
  scoped(): void {}
}

@Public()
@Controller()
class OpenController {
  @Get('all-open')
  allOpen(): void {}
}

/** A controller method as Nest sees it: the function its metadata hangs on. */
const handlerOf = (controller: new () => unknown, name: string) =>
  (controller.prototype as Record<string, (...args: never[]) => unknown>)[name];

interface FakeExchange {
  readonly request: {
    headers: Record<string, string>;
    user?: AuthenticatedUser;
    [ANONYMOUS]?: true;
  };
  readonly headers: Record<string, string>;
  readonly context: ExecutionContextHost;
}

function exchange(
  handler: (...args: never[]) => unknown,
  controller: new () => unknown,
  authorization?: string,
): FakeExchange {
  const request = {
    headers: authorization === undefined ? {} : { authorization },
  } as FakeExchange['request'];
  const headers: Record<string, string> = {};
  // Node's response, as far as the refusal uses it.
  const response = {
    setHeader: (name: string, value: string) => (headers[name] = value),
  };
  const context = new ExecutionContextHost(
    [request, response],
    controller,
    handler,
  );
  context.setType('http');
  return { request, headers, context };
}

describe('JwtAuthGuard', () => {
  let app: INestApplication;
  let guard: JwtAuthGuard;
  let tokens: TokenService;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JwtAuthModule.forRoot({ secret, realm: 'unit' })],
      controllers: [ProbeController, OpenController],
    }).compile();
    app = await moduleRef.createNestApplication().init();
    guard = app.get(JwtAuthGuard);
    tokens = app.get(TokenService);
  });

  afterAll(async () => {
    await app.close();
  });

  const guarded = handlerOf(ProbeController, 'guarded');

  /** The guard's answer as a promise, whether it came at once or not. */
  const verdictOf = async (context: ExecutionContextHost): Promise<boolean> =>
    guard.canActivate(context);

  it('lets a valid token through and puts the user on the request', async () => {
    const token = await tokens.sign({ sub: 0 });
    const { request, context } = exchange(
      guarded,
      ProbeController,
      `Bearer ${token}`,
    );
    await expect(verdictOf(context)).resolves.toBe(true);
    expect(request.user?.userId).toBe(0);
    expect(request.user?.claims.sub).toBe('0');
  });

  describe('with a token it verified before, and the revocation store in memory', () => {
    /** A token the guard has verified twice, and so remembers. */
    async function rememberedToken(sub: number): Promise<string> {
      const token = await tokens.sign({ sub });
      for (let time = 0; time < 2; time++) {
        const { context } = exchange(
          guarded,
          ProbeController,
          `Bearer ${token}`,
        );
        await expect(verdictOf(context)).resolves.toBe(true);
      }
      return token;
    }

    it('answers at once, and puts the user on the request', async () => {
      const token = await rememberedToken(8);
      const { request, context } = exchange(
        guarded,
        ProbeController,
        `Bearer ${token}`,
      );
      expect(guard.canActivate(context)).toBe(true);
      expect(request.user?.userId).toBe(8);
    });

    it('refuses it at once once it is revoked, with token_revoked', async () => {
      const token = await rememberedToken(9);
      await tokens.revoke(token);
      const { request, headers, context } = exchange(
        guarded,
        ProbeController,
        `Bearer ${token}`,
      );
      expect(() => guard.canActivate(context)).toThrow(UnauthorizedException);
      expect(headers['WWW-Authenticate']).toBe(
        'Bearer realm="unit", error="invalid_token", error_description="The access token has been revoked"',
      );
      expect(request.user).toBeUndefined();
    });
  });

  it.each([
    [
      'a @Public() handler',
      handlerOf(ProbeController, 'open'),
      ProbeController,
    ],
    [
      'a @Public() controller',
      handlerOf(OpenController, 'allOpen'),
      OpenController,
    ],
  ])('opens %s without a token', async (_label, handler, controller) => {
    const { request, context } = exchange(handler, controller);
    await expect(verdictOf(context)).resolves.toBe(true);
    expect(request.user).toBeUndefined();
  });

  async function refusal(
    authorization?: string,
  ): Promise<{ error: unknown; challenge?: string }> {
    const { headers, context } = exchange(
      guarded,
      ProbeController,
      authorization,
    );
    const error = await verdictOf(context).catch((caught: unknown) => caught);
    return { error, challenge: headers['WWW-Authenticate'] };
  }

  it('refuses a request without a token, with no error code in the challenge', async () => {
    const { error, challenge } = await refusal();
    expect(error).toBeInstanceOf(UnauthorizedException);
    expect((error as UnauthorizedException).getResponse()).toEqual({
      statusCode: 401,
      message: 'Could not validate credentials',
      error: 'Unauthorized',
    });
    expect(challenge).toBe('Bearer realm="unit"');
  });

  it.each([
    [
      'an expired token',
      { sub: '1', exp: nowSeconds() - 5 },
      'The access token expired',
    ],
    [
      'a bad subject',
      { sub: 'x', exp: nowSeconds() + 60 },
      'The access token subject is not a valid user id',
    ],
    ['no exp', { sub: '1' }, 'The access token lacks a required claim'],
  ])(
    'refuses %s with invalid_token and its description',
    async (_label, payload, description) => {
      const { error, challenge } = await refusal(
        `Bearer ${forgeToken({ payload, key: secret })}`,
      );
      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(challenge).toBe(
        `Bearer realm="unit", error="invalid_token", error_description="${description}"`,
      );
    },
  );

  it('refuses, failing closed, when verification fails for a reason of its own', async () => {
    const spy = jest
      .spyOn(app.get(JwtStrategy), 'validate')
      .mockRejectedValueOnce(new TypeError('boom'));
    try {
      const { error, challenge } = await refusal(
        `Bearer ${await tokens.sign({ sub: 1 })}`,
      );
      expect(error).toBeInstanceOf(UnauthorizedException);
      expect(challenge).toBe(
        'Bearer realm="unit", error="invalid_token", error_description="The access token is malformed"',
      );
    } finally {
      spy.mockRestore();
    }
  });

  describe('on an @OptionalAuth() route', () => {
    const optional = handlerOf(ProbeController, 'optional');

    it('lets a request without an Authorization header through anonymously', async () => {
      const { request, context } = exchange(optional, ProbeController);
      await expect(verdictOf(context)).resolves.toBe(true);
      expect(request.user).toBeUndefined();
      expect(request[ANONYMOUS]).toBe(true);
    });

    it('puts the user of a valid token on the request', async () => {
      const { request, context } = exchange(
        optional,
        ProbeController,
        `Bearer ${await tokens.sign({ sub: 5 })}`,
      );
      await expect(verdictOf(context)).resolves.toBe(true);
      expect(request.user?.userId).toBe(5);
      expect(request[ANONYMOUS]).toBeUndefined();
    });

    it.each([
      ['an empty header', '', 'Bearer realm="unit"'],
      ['another scheme', 'Basic YTpi', 'Bearer realm="unit"'],
      ['a bare Bearer', 'Bearer', 'Bearer realm="unit"'],
      [
        'a malformed token',
        'Bearer a.b.c',
        'Bearer realm="unit", error="invalid_token", error_description="The access token is malformed"',
      ],
    ])(
      'refuses %s rather than treat it as anonymous',
      async (_label, authorization, expected) => {
        const { request, headers, context } = exchange(
          optional,
          ProbeController,
          authorization,
        );
        await expect(verdictOf(context)).rejects.toBeInstanceOf(
          UnauthorizedException,
        );
        expect(headers['WWW-Authenticate']).toBe(expected);
        expect(request[ANONYMOUS]).toBeUndefined();
      },
    );
  });

  describe('on a @RequireScopes() route', () => {
    const scoped = handlerOf(ProbeController, 'scoped');

    it.each([
      ['every scope', 'read write', true],
      ['more scopes than required', 'admin write read', true],
      ['one scope of two', 'read', false],
      ['no scope claim', undefined, false],
    ])('with %s', async (_label, scope, passes) => {
      const token = await tokens.sign(
        scope === undefined ? { sub: 3 } : { sub: 3, scope },
      );
      const { headers, context } = exchange(
        scoped,
        ProbeController,
        `Bearer ${token}`,
      );
      const verdict = await verdictOf(context).catch(
        (caught: unknown) => caught,
      );
      if (passes) {
        expect(verdict).toBe(true);
        return;
      }
      expect(verdict).toBeInstanceOf(ForbiddenException);
      expect((verdict as ForbiddenException).getResponse()).toEqual({
        statusCode: 403,
        message: 'Insufficient scope',
        error: 'Forbidden',
      });
      expect(headers['WWW-Authenticate']).toBe(
        'Bearer realm="unit", error="insufficient_scope", error_description="The access token does not grant the required scope", scope="read write"',
      );
    });

    it("lets a subclass's own scope refusal through, for a remembered token too", async () => {
      class ScopeError extends Error {}
      class DomainGuard extends JwtAuthGuard {
        protected override throwInsufficientScope(): never {
          throw new ScopeError('insufficient scope');
        }
      }
      const domainGuard = new DomainGuard(
        app.get(Reflector),
        app.get(JwtStrategy),
        app.get(BearerChallengeService),
      );
      const token = await tokens.sign({ sub: 4, scope: 'read' });
      // The third presentation finds the token remembered.
      for (let time = 0; time < 3; time++) {
        const { context } = exchange(
          scoped,
          ProbeController,
          `Bearer ${token}`,
        );
        await expect(
          (async () => domainGuard.canActivate(context))(),
        ).rejects.toBeInstanceOf(ScopeError);
      }
    });

    it('refuses a request without a token with the 401, not the 403', async () => {
      const { headers, context } = exchange(scoped, ProbeController);
      await expect(verdictOf(context)).rejects.toBeInstanceOf(
        UnauthorizedException,
      );
      expect(headers['WWW-Authenticate']).toBe('Bearer realm="unit"');
    });
  });
});
