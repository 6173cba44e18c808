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
 * made. (Express first: Express gives every request a new prototype, after
 * which looking for a property the request lacks costs far more than
 * finding one it has.)
 */
export function responseOf(request: object): unknown {
  const linked = request as LinkedRequest;
  return linked.res ?? linked[RESPONSE];
}
