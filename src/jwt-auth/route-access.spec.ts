import { describe, expect, it } from '@jest/globals';
import type { Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { OptionalAuth } from './optional-auth.decorator.js';
import { Public } from './public.decorator.js';
import { RequireScopes } from './require-scopes.decorator.js';
import { routeAccess, type RouteAccess } from './route-access.js';

class Plain {
  static plain(this: void): void {}
  @Public() static open(this: void): void {}
  @OptionalAuth() static optional(this: void): void {}
  @RequireScopes('read') static scoped(this: void): void {}
  @Public() @OptionalAuth() static openAndOptional(this: void): void {}
  @OptionalAuth() @Public() static optionalAndOpen(this: void): void {}
  @Public() @RequireScopes('read') static openAndScoped(this: void): void {}
}

@Public()
class OpenClass {
  static plain(this: void): void {}
  @OptionalAuth() static optional(this: void): void {}
  @RequireScopes('admin') static scoped(this: void): void {}
}

@OptionalAuth()
class OptionalClass {
  static plain(this: void): void {}
  @Public() static open(this: void): void {}
  @RequireScopes('read', 'write') static scoped(this: void): void {}
}

@RequireScopes('orders')
class ScopedClass {
  static plain(this: void): void {}
  @Public() static open(this: void): void {}
  @OptionalAuth() static optional(this: void): void {}
  @RequireScopes('write', 'orders') static scoped(this: void): void {}
}

@Public()
@RequireScopes('orders')
class OpenScopedClass {
  static plain(this: void): void {}
}

const access = (
  controller: abstract new () => unknown,
  handler: () => void,
): RouteAccess => routeAccess(new Reflector(), handler, controller as Type);

const required = (...scopes: string[]): RouteAccess => ({
  mode: 'required',
  scopes,
});
const optional: RouteAccess = { mode: 'optional' };
const open: RouteAccess = { mode: 'public' };

describe('routeAccess', () => {
  it.each([
    ['no decorator', Plain, Plain.plain, required()],
    ['@Public() handler', Plain, Plain.open, open],
    ['@OptionalAuth() handler', Plain, Plain.optional, optional],
    ['@RequireScopes() handler', Plain, Plain.scoped, required('read')],
    ['@Public() @OptionalAuth()', Plain, Plain.openAndOptional, optional],
    ['@OptionalAuth() @Public()', Plain, Plain.optionalAndOpen, optional],
    [
      '@Public() @RequireScopes()',
      Plain,
      Plain.openAndScoped,
      required('read'),
    ],
    ['@Public() class', OpenClass, OpenClass.plain, open],
    [
      '@Public() class, @OptionalAuth() handler',
      OpenClass,
      OpenClass.optional,
      optional,
    ],
    [
      '@Public() class, @RequireScopes() handler',
      OpenClass,
      OpenClass.scoped,
      required('admin'),
    ],
    ['@OptionalAuth() class', OptionalClass, OptionalClass.plain, optional],
    [
      '@OptionalAuth() class, @Public() handler',
      OptionalClass,
      OptionalClass.open,
      open,
    ],
    [
      '@OptionalAuth() class, @RequireScopes() handler',
      OptionalClass,
      OptionalClass.scoped,
      required('read', 'write'),
    ],
    [
      '@RequireScopes() class',
      ScopedClass,
      ScopedClass.plain,
      required('orders'),
    ],
    [
      '@RequireScopes() class, @Public() handler',
      ScopedClass,
      ScopedClass.open,
      required('orders'),
    ],
    [
      '@RequireScopes() class, @OptionalAuth() handler',
      ScopedClass,
      ScopedClass.optional,
      required('orders'),
    ],
    [
      '@RequireScopes() class and handler',
      ScopedClass,
      ScopedClass.scoped,
      required('write', 'orders'),
    ],
    [
      '@Public() @RequireScopes() class',
      OpenScopedClass,
      OpenScopedClass.plain,
      required('orders'),
    ],
  ])('%s', (_label, controller, handler, expected) => {
    expect(access(controller, handler)).toEqual(expected);
  });
});
