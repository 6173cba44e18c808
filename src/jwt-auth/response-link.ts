/** Where `linkResponse()` leaves a response on its request. */
const RESPONSE = Symbol('jwt-auth:response');

interface LinkedRequest {
  /** Express's link from a request to its response. */
  readonly res?: unknown;
  [RESPONSE]?: unknown;
}

/**
 * Links a request to its response, so that `JwtStrategy` can set the
 * refusal's `WWW-Authenticate` header when Passport's `AuthGuard` calls it
 * with the request alone.
 */
export function linkResponse(request: object, response: unknown): void {
  (request as LinkedRequest)[RESPONSE] = response;
}

/** The response linked to a request, else Express's own link. */
export function responseOf(request: object): unknown {
  const linked = request as LinkedRequest;
  return linked[RESPONSE] ?? linked.res;
}
