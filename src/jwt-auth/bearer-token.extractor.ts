/** The part of a request the extractor reads; Express and Fastify requests both fit. */
export interface RequestWithHeaders {
  readonly headers: Readonly<
    Record<string, string | readonly string[] | undefined>
  >;
  /** Node's raw header list (Express requests). */
  readonly rawHeaders?: readonly string[];
  /** Node's request (Fastify requests). */
  readonly raw?: { readonly rawHeaders?: readonly string[] };
}

/** `Bearer`, case-insensitively, then the credentials after one or more spaces. */
const BEARER_SCHEME = /^Bearer(?: +([^]*))?$/i;

/**
 * Takes the token from `Authorization: Bearer <token>` only (RFC 6750 2.1),
 * never from the query string, a cookie or the body.
 *
 * Returns `null` when the request presents no bearer credentials (no
 * header, another scheme, or a bare `Bearer`). Otherwise returns everything
 * after the scheme as it stands, so that anything besides exactly one token
 * (two tokens, trailing junk) reaches the token checks and is refused there
 * as malformed, rather than being trimmed into a token that passes.
 */
export function extractBearerToken(request: RequestWithHeaders): string | null {
  const header = authorizationHeader(request);
  if (header === undefined) return null;
  const credentials = BEARER_SCHEME.exec(header)?.[1];
  return credentials ? credentials : null;
}

/**
 * Whether the request sends an `Authorization` field at all, whatever it
 * holds: an `@OptionalAuth()` route is anonymous only without one, so that a
 * credential it cannot use (another scheme, a bare `Bearer`, an empty value)
 * is refused rather than ignored.
 */
export function sendsAuthorization(request: RequestWithHeaders): boolean {
  return request.headers.authorization !== undefined;
}

/**
 * The `Authorization` field value. Node keeps only the first of repeated
 * `Authorization` fields, where a proxy may keep the last; repeated fields
 * are combined as RFC 9110 5.3 combines a list, so that the one-token rule
 * refuses them rather than one reader picking a token the other did not.
 */
function authorizationHeader(request: RequestWithHeaders): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const raw = request.rawHeaders ?? request.raw?.rawHeaders;
  if (raw === undefined) return header;
  let values: string[] | undefined;
  let first: string | undefined;
  for (let index = 0; index < raw.length; index += 2) {
    if (!isAuthorization(raw[index])) continue;
    if (first === undefined) first = raw[index + 1];
    else (values ??= [first]).push(raw[index + 1]);
  }
  return values === undefined ? header : values.join(', ');
}

/** Whether a raw field name is `Authorization`, in any case. */
const isAuthorization = (name: string): boolean =>
  name === 'authorization' ||
  name === 'Authorization' ||
  (name.length === 13 && name.toLowerCase() === 'authorization');
