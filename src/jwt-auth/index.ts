export { bearerChallenge } from './bearer-challenge.js';
export type { RefusalReason } from './bearer-challenge.js';
export {
  BearerChallengeService,
  INSUFFICIENT_SCOPE_MESSAGE,
  REFUSAL_MESSAGE,
} from './bearer-challenge.service.js';
export { CurrentUser } from './current-user.decorator.js';
export {
  INVALID_TOKEN_DESCRIPTIONS,
  InvalidTokenError,
} from './errors/invalid-token.error.js';
export type { InvalidTokenCode } from './errors/invalid-token.error.js';
export { JwtAuthOptionsError } from './errors/jwt-auth-options.error.js';
export { KeySetUnavailableError } from './errors/key-set-unavailable.error.js';
export { RevocationUnavailableError } from './errors/revocation-unavailable.error.js';
export type {
  AccessTokenClaims,
  ClaimsToSign,
} from './interfaces/access-token-claims.interface.js';
export type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';
export type {
  JwksOptions,
  JwtAlgorithm,
  JwtAuthModuleExtras,
  JwtAuthModuleOptions,
  JwtKey,
  KeyMaterial,
  RevocationOptions,
} from './interfaces/jwt-auth-module-options.interface.js';
export type {
  SignOptions,
  TokenResponse,
  TokenResponseOptions,
} from './interfaces/token-response.interface.js';
export { JwtAuthGuard } from './jwt-auth.guard.js';
export { JwtAuthModule } from './jwt-auth.module.js';
export { JWT_AUTH_STRATEGY, JwtStrategy } from './jwt.strategy.js';
export {
  IS_OPTIONAL_AUTH_KEY,
  OptionalAuth,
} from './optional-auth.decorator.js';
export { OptionalUser } from './optional-user.decorator.js';
export { IS_PUBLIC_KEY, Public } from './public.decorator.js';
export type { RouteAccess } from './route-access.js';
export {
  REQUIRED_SCOPES_KEY,
  RequireScopes,
} from './require-scopes.decorator.js';
export { MemoryRevocationStore } from './revocation/memory-revocation.store.js';
export {
  MirroredRedisRevocationStore,
  type MirroredRedisRevocationStoreOptions,
  type RedisFeedConnection,
  type RedisFeedOpener,
} from './revocation/mirrored-redis-revocation.store.js';
export { RedisRevocationStore } from './revocation/redis-revocation.store.js';
export type {
  RedisCommandClient,
  RevocationEntry,
} from './revocation/redis-revocation.store.js';
export type {
  RevocationState,
  RevocationStore,
} from './revocation/revocation-store.interface.js';
export { TokenService } from './token.service.js';
