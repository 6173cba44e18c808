import { describe, expect, it } from '@jest/globals';
import * as library from './index.js';

describe('the public surface (src/jwt-auth/index.ts)', () => {
  it('exports exactly these values; a change here is a change to the API', () => {
    expect(Object.keys(library).sort()).toEqual([
      'BearerChallengeService',
      'CurrentUser',
      'INSUFFICIENT_SCOPE_MESSAGE',
      'INVALID_TOKEN_DESCRIPTIONS',
      'IS_OPTIONAL_AUTH_KEY',
      'IS_PUBLIC_KEY',
      'InvalidTokenError',
      'JWT_AUTH_STRATEGY',
      'JwtAuthGuard',
      'JwtAuthModule',
      'JwtAuthOptionsError',
      'JwtStrategy',
      'KeySetUnavailableError',
      'MemoryRevocationStore',
      'MirroredRedisRevocationStore',
      'OptionalAuth',
      'OptionalUser',
      'Public',
      'REFUSAL_MESSAGE',
      'REQUIRED_SCOPES_KEY',
      'RedisRevocationStore',
      'RequireScopes',
      'RevocationUnavailableError',
      'TokenService',
      'bearerChallenge',
    ]);
  });

  it('offers forRoot and forRootAsync', () => {
    expect(typeof library.JwtAuthModule.forRoot).toBe('function');
    expect(typeof library.JwtAuthModule.forRootAsync).toBe('function');
  });
});
