import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedUser } from './interfaces/authenticated-user.interface.js';

/**
 * The authenticated user's id, as a number, on a route `JwtAuthGuard`
 * guards. On a route it does not guard, or an `@OptionalAuth()` route
 * answering an anonymous caller, it throws: that is a wiring mistake, not a
 * request to answer. Use `@OptionalUser()` on an `@OptionalAuth()` route.
 */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): number => {
    const user = context
      .switchToHttp()
      .getRequest<{ user?: AuthenticatedUser }>().user;
    if (user === undefined || typeof user.userId !== 'number') {
      throw new Error(
        '@CurrentUser() is used on a route that JwtAuthGuard does not guard',
      );
    }
    return user.userId;
  },
);
