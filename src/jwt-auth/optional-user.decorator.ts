import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';

/**
 * Set on a request by `JwtAuthGuard` when it let the request through an
 * `@OptionalAuth()` route anonymously, so that `@OptionalUser()` can tell
 * "no user" from "no guard ran".
 */
export const ANONYMOUS = Symbol('jwt-auth:anonymous');

/** A request as the guard leaves it. */
export interface GuardedRequest {
  user?: AuthenticatedUser;
  [ANONYMOUS]?: true;
}

/**
 * The user id as a number, or `undefined` for an anonymous caller, on an
 * `@OptionalAuth()` route that `JwtAuthGuard` guards: type the parameter
 * `number | undefined`. On a route the guard did not check (unguarded, or
 * `@Public()`) and where nothing else put a user on the request, it throws:
 * that is a wiring mistake, not an anonymous caller.
 */
export const OptionalUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): number | undefined => {
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    if (request.user !== undefined && typeof request.user.userId === 'number') {
      return request.user.userId;
    }
    if (request[ANONYMOUS] === true) return undefined;
    throw new Error(
      '@OptionalUser() is used on a route that JwtAuthGuard does not check (add @OptionalAuth() and the guard)',
    );
  },
);
