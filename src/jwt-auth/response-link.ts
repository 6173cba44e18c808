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

/**
 * A request's response: Express's own link, else the one `linkResponse()`
 * made. (Express first: an Express request keeps its properties in a
 * dictionary, where looking for one it lacks costs far more than finding
 * one it has.)
 */
export function responseOf(request: object): unknown {
  const linked = request as LinkedRequest;
  return linked.res ?? linked[RESPONSE];
}
