import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import * as library from '../index.js';
import * as testing from './index.js';

describe('the testing surface (src/jwt-auth/testing/index.ts)', () => {
  it('exports exactly these values; a change here is a change to the API', () => {
    expect(Object.keys(testing).sort()).toEqual([
      'overrideJwtAuthGuard',
      'signTestToken',
      'testAuthorizationHeader',
    ]);
  });

  it('is not reachable from the main entry point', () => {
    const main = Object.keys(library);
    for (const name of Object.keys(testing)) expect(main).not.toContain(name);
  });
});

describe('overrideJwtAuthGuard()', () => {
  const overrideAs = (userId: unknown) => () =>
    testing.overrideJwtAuthGuard(Test.createTestingModule({}), {
      userId: userId as number,
    });
  const isUserId = (value: unknown) =>
    typeof value === 'number' &&
    Number.isSafeInteger(value) &&
    value >= 0 &&
    !Object.is(value, -0);

  it('refuses any userId that is not a non-negative safe integer', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.anything(), fc.double(), fc.integer({ max: -1 })),
        (userId) => {
          fc.pre(!isUserId(userId));
          expect(overrideAs(userId)).toThrow(TypeError);
        },
      ),
      { seed: 20261127 },
    );
  });

  it('takes every non-negative safe integer, 0 included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(0), fc.maxSafeNat()), (userId) => {
        expect(overrideAs(userId)).not.toThrow();
      }),
      { seed: 20261127 },
    );
  });
});
