/** The part of a request the extractor reads; Express and Fastify requests both fit. */
export interface RequestWithHeaders {
  readonly headers: Readonly<
    Record<string, string | readonly string[] | undefined>
  >;
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
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const credentials = BEARER_SCHEME.exec(header)?.[1];
  return credentials ? credentials : null;
}
