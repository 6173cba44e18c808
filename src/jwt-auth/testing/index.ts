export { overrideJwtAuthGuard } from './override-jwt-auth-guard.js';
export { signTestToken, testAuthorizationHeader } from './test-token.js';
export type { TestTokenOptions } from './test-token.js';
export type { TestIdentity } from './testing-jwt.strategy.js';
