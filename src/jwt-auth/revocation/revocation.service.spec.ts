import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { InvalidTokenError } from '../errors/invalid-token.error.js';
import { RevocationUnavailableError } from '../errors/revocation-unavailable.error.js';
import type { JwtAuthModuleOptions } from '../interfaces/jwt-auth-module-options.interface.js';
import { resolveJwtAuthOptions } from '../jwt-auth.options.js';
import {
  servicesFor,
  tokenServiceFor,
} from '../../../test/support/services.js';
import { MemoryRevocationStore } from './memory-revocation.store.js';
import type { RevocationStore } from './revocation-store.interface.js';

const NOW = Date.UTC(2030, 0, 1) / 1000;
const at = (seconds: number) =>
  jest.useFakeTimers({
    now: seconds * 1000,
    doNotFake: ['nextTick', 'setImmediate'],
  });

function checkerWith(
  options: Partial<JwtAuthModuleOptions>,
  store: RevocationStore = new MemoryRevocationStore(100),
) {
  const resolved = resolveJwtAuthOptions({
    secret: randomBytes(32),
    ...options,
  });
  const { tokens, verifier, revocation } = servicesFor(resolved, store);
  return {
    revocation,
    /** A user as the guard would put it on a request. */
    userFor: async (sub: number) => verifier.verify(await tokens.sign({ sub })),
  };
}

function tokensWith(
  options: Partial<JwtAuthModuleOptions>,
  store: RevocationStore = new MemoryRevocationStore(100),
) {
  const resolved = resolveJwtAuthOptions({
    secret: randomBytes(32),
    ...options,
  });
  return tokenServiceFor(resolved, store);
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) =>
      error instanceof InvalidTokenError ? error.code : error,
  );

describe('revocation and the clock', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('keeps a revoked token refused while the clock tolerance would still accept it', async () => {
    at(NOW);
    const tokens = tokensWith({ clockTolerance: 10 });
    const token = await tokens.sign({ sub: 1 }, { expiresIn: 2 });
    await tokens.revoke(token);
    for (const later of [1, 5, 11]) {
      at(NOW + later);
      expect(await codeOf(tokens.verify(token))).toBe('token_revoked');
    }
    at(NOW + 12);
    expect(await codeOf(tokens.verify(token))).toBe('token_expired');
  });

  it('keeps "log out everywhere" for as long as any earlier token could be accepted', async () => {
    at(NOW);
    const tokens = tokensWith({ expiresIn: 60, clockTolerance: 5 });
    const token = await tokens.sign({ sub: 2 });
    await tokens.revokeAllForUser(2);
    for (const later of [1, 30, 64]) {
      at(NOW + later);
      expect(await codeOf(tokens.verify(token))).toBe('token_revoked');
    }
    at(NOW + 65);
    expect(await codeOf(tokens.verify(token))).toBe('token_expired');
  });

  it('refuses a token that lives longer than expiresIn, which revocation could not cover', async () => {
    at(NOW);
    const secret = randomBytes(32);
    const lenient = tokensWith({ secret, expiresIn: 600 });
    const strict = tokensWith({ secret, expiresIn: 60 });
    const longLived = await lenient.sign({ sub: 3 });
    await expect(lenient.verify(longLived)).resolves.toMatchObject({
      userId: 3,
    });
    expect(await codeOf(strict.verify(longLived))).toBe(
      'token_lifetime_exceeded',
    );
    await expect(strict.sign({ sub: 3 }, { expiresIn: 61 })).rejects.toThrow(
      TypeError,
    );
  });
});

/** A token signed HS256 with `secret`, with an `iat` that may be fractional. */
function signedAt(secret: Buffer, sub: number, iat: number): string {
  const part = (value: object) =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: String(sub), iat, exp: iat + 60 })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

describe('"log out everywhere" and the second it happens in', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('refuses every token issued up to the end of that second, fractional iat included, and none issued later', async () => {
    const secret = randomBytes(32);
    const tokens = tokensWith({ secret });
    const inSecond = [NOW, NOW + 0.25, NOW + 0.5, NOW + 0.999].map((iat) =>
      signedAt(secret, 4, iat),
    );
    at(NOW + 0.25);
    await tokens.revokeAllForUser(4);
    // The clock moves on within the second, so that every iat is past.
    at(NOW + 0.9995);
    for (const token of inSecond)
      expect(await codeOf(tokens.verify(token))).toBe('token_revoked');
    at(NOW + 1.5);
    for (const token of inSecond)
      expect(await codeOf(tokens.verify(token))).toBe('token_revoked');
    for (const iat of [NOW + 1, NOW + 1.25])
      await expect(
        tokens.verify(signedAt(secret, 4, iat)),
      ).resolves.toMatchObject({ userId: 4 });
    await expect(
      tokens.sign({ sub: 4 }).then((token) => tokens.verify(token)),
    ).resolves.toMatchObject({ userId: 4 });
  });

  it('treats the cutoff of a store in whole seconds too, whatever it answers', async () => {
    const secret = randomBytes(32);
    const fractional: RevocationStore = {
      revokeToken: () => Promise.resolve(),
      revokeUser: () => Promise.resolve(),
      lookup: () =>
        Promise.resolve({ tokenRevoked: false, userRevokedAt: NOW + 0.5 }),
    };
    const tokens = tokensWith({ secret }, fractional);
    at(NOW + 2);
    expect(await codeOf(tokens.verify(signedAt(secret, 5, NOW + 0.75)))).toBe(
      'token_revoked',
    );
    await expect(
      tokens.verify(signedAt(secret, 5, NOW + 1)),
    ).resolves.toMatchObject({ userId: 5 });
  });
});

describe('TokenService revocation inputs and failures', () => {
  it('refuses a user id that is not a number', async () => {
    const tokens = tokensWith({});
    await expect(
      tokens.revokeAllForUser('4' as unknown as number),
    ).rejects.toThrow(TypeError);
    await expect(tokens.revokeAllForUser(-1)).rejects.toThrow(TypeError);
  });

  it('hands out users that cannot be altered, so a handler cannot undo a revocation', async () => {
    const tokens = tokensWith({});
    const user = await tokens.verify(
      await tokens.sign({ sub: 5, ctx: { role: 'user' } }),
    );
    expect(() => {
      (user.claims as { iat: number }).iat = 9e9;
    }).toThrow(TypeError);
    expect(() => {
      (user.claims.ctx as { role: string }).role = 'admin';
    }).toThrow(TypeError);
    expect(Object.isFrozen(user)).toBe(true);
  });

  it('reports a store that cannot record a revocation as unavailable', async () => {
    const failing: RevocationStore = {
      revokeToken: () => Promise.reject(new Error('OOM command not allowed')),
      revokeUser: () => Promise.reject(new Error('READONLY')),
      lookup: () =>
        Promise.resolve({ tokenRevoked: false, userRevokedAt: undefined }),
    };
    const tokens = tokensWith({}, failing);
    const token = await tokens.sign({ sub: 6 });
    await expect(tokens.revoke(token)).rejects.toBeInstanceOf(
      RevocationUnavailableError,
    );
    await expect(tokens.revokeAllForUser(6)).rejects.toBeInstanceOf(
      RevocationUnavailableError,
    );
  });

  it('bounds a store that answers with a thenable that never settles', async () => {
    const stuck: RevocationStore = {
      revokeToken: () => Promise.resolve(),
      revokeUser: () => Promise.resolve(),
      lookup: () => ({ then: () => undefined }) as unknown as Promise<never>,
    };
    const tokens = tokensWith({ revocation: { timeout: 50 } }, stuck);
    const started = Date.now();
    await expect(
      tokens.verify(await tokens.sign({ sub: 7 })),
    ).rejects.toBeInstanceOf(RevocationUnavailableError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('RevocationService.assertNotRevoked', () => {
  it('answers with a promise, from the in-memory store too', async () => {
    const store = new MemoryRevocationStore(100);
    const { revocation, userFor } = checkerWith({}, store);
    const user = await userFor(8);
    const accepted = revocation.assertNotRevoked(user);
    expect(accepted).toBeInstanceOf(Promise);
    await expect(accepted).resolves.toBeUndefined();

    await revocation.revokeToken(user);
    let refused: Promise<void> | undefined;
    expect(() => {
      refused = revocation.assertNotRevoked(user);
    }).not.toThrow();
    expect(await codeOf(refused as Promise<void>)).toBe('token_revoked');
  });

  it('turns a store that throws instead of rejecting into a refused or, failing open, a passed check', async () => {
    const throwing: RevocationStore = {
      revokeToken: () => Promise.resolve(),
      revokeUser: () => Promise.resolve(),
      lookup: () => {
        throw new Error('connection refused');
      },
    };
    const closed = checkerWith({}, throwing);
    const refusedUser = await closed.userFor(9);
    let refused: Promise<void> | undefined;
    expect(() => {
      refused = closed.revocation.assertNotRevoked(refusedUser);
    }).not.toThrow();
    await expect(refused).rejects.toBeInstanceOf(RevocationUnavailableError);

    const open = checkerWith({ revocation: { failOpen: true } }, throwing);
    const user = await open.userFor(9);
    let passed: Promise<void> | undefined;
    expect(() => {
      passed = open.revocation.assertNotRevoked(user);
    }).not.toThrow();
    await expect(passed).resolves.toBeUndefined();
  });
});

describe('why the revocation store failed', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  /** A store whose every call fails with `message` (with the token the test puts in it). */
  const failingWith = (message: () => string): RevocationStore => ({
    revokeToken: () => Promise.reject(new Error(message())),
    revokeUser: () => Promise.reject(new Error(message())),
    lookup: () => Promise.reject(new Error(message())),
  });

  it("carries the store's message, never a token, in the error of a refused check or write", async () => {
    let token = '';
    const store = failingWith(
      () => `CROSSSLOT Keys in request don't hash to the same slot\n${token}`,
    );
    const { revocation, userFor } = checkerWith({}, store);
    const user = await userFor(10);
    token = await tokensWith({}).sign({ sub: 10 });

    for (const failed of [
      revocation.assertNotRevoked(user),
      revocation.revokeToken(user),
      revocation.revokeUser(10),
    ]) {
      const error = await failed.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(RevocationUnavailableError);
      const { message, cause } = error as RevocationUnavailableError;
      expect(message).toContain(
        "CROSSSLOT Keys in request don't hash to the same slot",
      );
      expect(message).not.toContain(token);
      expect(message).not.toContain(token.split('.')[1]);
      expect(message).not.toContain('\n');
      // The store's own error stays reachable, for a debugger.
      expect(cause).toBeInstanceOf(Error);
    }
  });

  it('says why in the warning of a check let through by failOpen, never the token', async () => {
    const warnings: unknown[] = [];
    jest
      .spyOn(Logger.prototype, 'warn')
      .mockImplementation((message: unknown) => {
        warnings.push(message);
      });
    const { revocation, userFor } = checkerWith(
      { revocation: { failOpen: true } },
      failingWith(() => `READONLY ${token}`),
    );
    const user = await userFor(11);
    const token = await tokensWith({}).sign({ sub: 11 });
    await revocation.assertNotRevoked(user);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('READONLY');
    expect(warnings[0]).toContain('revocation.failOpen');
    expect(warnings[0]).not.toContain(token.split('.')[1]);
  });

  it('says the store was too slow when it did not answer in time', async () => {
    const silent: RevocationStore = {
      revokeToken: () => new Promise(() => undefined),
      revokeUser: () => new Promise(() => undefined),
      lookup: () => new Promise(() => undefined),
    };
    const { revocation, userFor } = checkerWith(
      { revocation: { timeout: 20 } },
      silent,
    );
    await expect(
      revocation.assertNotRevoked(await userFor(12)),
    ).rejects.toThrow('The revocation store did not answer within 20 ms');
  });
});
