import { describe, expect, it } from '@jest/globals';
import { Reflector } from '@nestjs/core';
import {
  REQUIRED_SCOPES_KEY,
  RequireScopes,
} from './require-scopes.decorator.js';

describe('@RequireScopes()', () => {
  it('records its scopes, once each', () => {
    @RequireScopes('read', 'write', 'read')
    class Scoped {}
    expect(new Reflector().get(REQUIRED_SCOPES_KEY, Scoped)).toEqual([
      'read',
      'write',
    ]);
  });

  it('adds up several on one target rather than keeping the last', () => {
    class Scoped {
      @RequireScopes('read')
      @RequireScopes('write', 'read')
      static handler(this: void): void {}
    }
    expect(new Reflector().get(REQUIRED_SCOPES_KEY, Scoped.handler)).toEqual([
      'write',
      'read',
    ]);
  });

  it("adds a subclass's scopes to its base class's", () => {
    @RequireScopes('admin')
    class Base {}
    @RequireScopes('read')
    class Sub extends Base {}
    expect(new Reflector().get(REQUIRED_SCOPES_KEY, Sub)).toEqual([
      'admin',
      'read',
    ]);
    expect(new Reflector().get(REQUIRED_SCOPES_KEY, Base)).toEqual(['admin']);
  });

  it('needs at least one scope', () => {
    expect(() => RequireScopes()).toThrow(
      new TypeError('@RequireScopes() needs at least one scope'),
    );
  });

  it.each([
    ['', '""'],
    ['read write', '"read write"'],
    ['say"hi"', '"say\\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['tab\there', '"tab\\there"'],
    ['écrire', '"écrire"'],
    [undefined, 'undefined'],
    [42, 'number'],
  ])('refuses %p at decoration time, naming it', (scope, named) => {
    expect(() => RequireScopes('read', scope as string)).toThrow(
      new TypeError(
        `@RequireScopes(): ${named} is not a scope-token (RFC 6749 3.3: printable ASCII without space, " or \\)`,
      ),
    );
  });
});
