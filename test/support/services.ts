import { JwtService } from '@nestjs/jwt';
import type { ResolvedJwtAuthOptions } from '../../src/jwt-auth/jwt-auth.options.js';
import { MemoryRevocationStore } from '../../src/jwt-auth/revocation/memory-revocation.store.js';
import type { RevocationStore } from '../../src/jwt-auth/revocation/revocation-store.interface.js';
import { RevocationService } from '../../src/jwt-auth/revocation/revocation.service.js';
import { TokenService } from '../../src/jwt-auth/token.service.js';
import { TokenVerifier } from '../../src/jwt-auth/token.verifier.js';

/** The module's `TokenVerifier` for `options`, wired as the module wires it. */
export function verifierFor(options: ResolvedJwtAuthOptions): TokenVerifier {
  return new TokenVerifier(options, new JwtService());
}

/** The module's `TokenService` for `options`, wired as the module wires it. */
export function tokenServiceFor(
  options: ResolvedJwtAuthOptions,
  store: RevocationStore = new MemoryRevocationStore(1000),
): TokenService {
  return servicesFor(options, store).tokens;
}

/** The module's services for `options` over `store`, wired as the module wires them. */
export function servicesFor(
  options: ResolvedJwtAuthOptions,
  store: RevocationStore = new MemoryRevocationStore(1000),
): {
  tokens: TokenService;
  verifier: TokenVerifier;
  revocation: RevocationService;
} {
  const jwt = new JwtService();
  const verifier = new TokenVerifier(options, jwt);
  const revocation = new RevocationService({ store }, options);
  return {
    tokens: new TokenService(options, jwt, verifier, revocation),
    verifier,
    revocation,
  };
}
