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
    linkResponse(request, response);
    next();
  }
}

/** Links a request to its response, for `responseOf()`. */
export function linkResponse(request: object, response: unknown): void {
  (request as LinkedRequest)[RESPONSE] = response;
}

/**
 * The response linked to a request, else Express's, else the one
 * `ResponseLinkMiddleware` linked to Node's request under Fastify's.
 */
export function responseOf(request: object): unknown {
  const linked = request as LinkedRequest;
  return linked[RESPONSE] ?? linked.res ?? linked.raw?.[RESPONSE];
}
