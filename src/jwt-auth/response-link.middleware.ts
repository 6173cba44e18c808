import { Injectable, type NestMiddleware } from '@nestjs/common';

/** Where the middleware leaves Node's response on Node's request. */
const RESPONSE = Symbol('jwt-auth:response');

interface LinkedRequest {
  /** Express's link from a request to its response. */
  readonly res?: unknown;
  /** Node's request under Fastify's. */
  readonly raw?: LinkedRequest;
  [RESPONSE]?: unknown;
}

/**
 * Links each request to its response, so that `JwtStrategy` can set the
 * refusal's `WWW-Authenticate` header when Passport's `AuthGuard` calls it
 * with the request alone. Express links them itself; Fastify's request
 * does not know its reply, so the link is made on Node's request, which
 * Nest's middleware receives.
 */
@Injectable()
export class ResponseLinkMiddleware implements NestMiddleware {
  use(request: LinkedRequest, response: unknown, next: () => void): void {
    request[RESPONSE] = response;
    next();
  }
}

/** The response of a request that `ResponseLinkMiddleware` saw, or Express's. */
export function responseOf(request: object): unknown {
  const linked = request as LinkedRequest;
  return linked.res ?? (linked.raw ?? linked)[RESPONSE];
}
