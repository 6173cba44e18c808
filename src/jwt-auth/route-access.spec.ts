import { describe, expect, it, jest } from '@jest/globals';
import { SetMetadata, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  IS_OPTIONAL_AUTH_KEY,
  OptionalAuth,
} from './optional-auth.decorator.js';
import { IS_PUBLIC_KEY, Public } from './public.decorator.js';
import { RequireScopes } from './require-scopes.decorator.js';
import {
  RouteAccessReader,
  routeAccess,
  type RouteAccess,
} from './route-access.js';

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

@Public()
class ClosingClass {
  @SetMetadata(IS_PUBLIC_KEY, false) static closed(this: void): void {}
  @SetMetadata(IS_OPTIONAL_AUTH_KEY, false) static notOptional(
    this: void,
  ): void {}
}

@OptionalAuth()
class StrictOptionalClass {
  @SetMetadata(IS_OPTIONAL_AUTH_KEY, false) static closed(this: void): void {}
}

class TruthyMarks {
  @SetMetadata(IS_PUBLIC_KEY, 'yes') static open(this: void): void {}
  @SetMetadata(IS_OPTIONAL_AUTH_KEY, 1) static optional(this: void): void {}
}

@RequireScopes('admin')
class AdminBase {
  static plain(this: void): void {}
}

@RequireScopes('read')
class ReadingAdmin extends AdminBase {}

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
    [
      '@Public() class, handler marked not public',
      ClosingClass,
      ClosingClass.closed,
      required(),
    ],
    [
      '@Public() class, handler marked not optional',
      ClosingClass,
      ClosingClass.notOptional,
      required(),
    ],
    [
      '@OptionalAuth() class, handler marked not optional',
      StrictOptionalClass,
      StrictOptionalClass.closed,
      required(),
    ],
    [
      'a public mark that is not true',
      TruthyMarks,
      TruthyMarks.open,
      required(),
    ],
    [
      'an optional mark that is not true',
      TruthyMarks,
      TruthyMarks.optional,
      required(),
    ],
    [
      '@RequireScopes() on a class and on its base class',
      ReadingAdmin,
      AdminBase.plain,
      required('admin', 'read'),
    ],
  ])('%s', (_label, controller, handler, expected) => {
    expect(access(controller, handler)).toEqual(expected);
  });
});

describe('RouteAccessReader', () => {
  it('reads each route once, and answers as routeAccess does', () => {
    const reflector = new Reflector();
    const reads = jest.spyOn(reflector, 'get');
    const reader = new RouteAccessReader(reflector);
    const routes: [Type, () => void][] = [
      [Plain, Plain.plain],
      [Plain, Plain.open],
      [OptionalClass, OptionalClass.plain],
      [ScopedClass, ScopedClass.scoped],
      [ReadingAdmin, AdminBase.plain],
      [AdminBase, AdminBase.plain],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [controller, handler] of routes) {
        expect(reader.read(handler, controller)).toEqual(
          access(controller, handler),
        );
      }
      if (round === 0) reads.mockClear();
    }
    expect(reads).not.toHaveBeenCalled();
  });
});
