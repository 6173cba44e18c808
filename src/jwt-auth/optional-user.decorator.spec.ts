import { describe, expect, it } from '@jest/globals';
import type { CustomParamFactory } from '@nestjs/common/interfaces/index.js';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
import {
  ANONYMOUS,
  OptionalUser,
  type GuardedRequest,
} from './optional-user.decorator.js';

class Probe {
  handler(@OptionalUser() userId: number | undefined): number | undefined {
    return userId;
  }
}

/** The function Nest calls to fill the parameter. */
const factory = Object.values(
  Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'handler') as Record<
    string,
    { factory: CustomParamFactory }
  >,
)[0].factory;

const resolve = (request: GuardedRequest): unknown =>
  factory(undefined, new ExecutionContextHost([request]));

describe('@OptionalUser()', () => {
  it('gives the user id of an authenticated request, 0 included', () => {
    for (const userId of [0, 42]) {
      const user = { userId, claims: {}, tokenId: 'jti:x' };
      expect(resolve({ user: user as unknown as AuthenticatedUser })).toBe(
        userId,
      );
    }
  });

  it('gives undefined for a request the guard let through anonymously', () => {
    expect(resolve({ [ANONYMOUS]: true })).toBeUndefined();
  });

  it('throws on a request the guard never checked', () => {
    expect(() => resolve({})).toThrow(
      '@OptionalUser() is used on a route that JwtAuthGuard does not check',
    );
  });
});
