import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  Controller,
  Get,
  UnauthorizedException,
  type INestApplication,
} from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { forgeToken, nowSeconds } from '../../test/support/jws.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtAuthModule } from './jwt-auth.module.js';
import { Public } from './public.decorator.js';
import { TokenService } from './token.service.js';

const secret = randomBytes(32).toString('base64url');

@Controller()
class ProbeController {
  @Get('guarded')
  guarded(): void {}

  @Public()
  @Get('open')
  open(): void {}
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
  // What the Express adapter's setHeader calls.
  const response = {
    set: (name: string, value: string) => (headers[name] = value),
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

  it('lets a valid token through and puts the user on the request', async () => {
    const token = await tokens.sign({ sub: 0 });
    const { request, context } = exchange(
      guarded,
      ProbeController,
      `Bearer ${token}`,
    );
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(request.user?.userId).toBe(0);
    expect(request.user?.claims.sub).toBe('0');
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
    await expect(guard.canActivate(context)).resolves.toBe(true);
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
    const error = await Promise.resolve(guard.canActivate(context)).catch(
      (caught: unknown) => caught,
    );
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
      .spyOn(tokens, 'verify')
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
});
