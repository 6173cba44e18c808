import type { ExecutionContext, Type } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { IS_OPTIONAL_AUTH_KEY } from './optional-auth.decorator.js';
import { IS_PUBLIC_KEY } from './public.decorator.js';
import { REQUIRED_SCOPES_KEY } from './require-scopes.decorator.js';

/**
 * What a route asks of a request: `public` lets it through unchecked,
 * `optional` lets it through anonymously only when it sends no
 * `Authorization` header, `required` needs a valid token that grants every
 * scope in `scopes`.
 */
export type RouteAccess =
  | { readonly mode: 'public' }
  | { readonly mode: 'optional' }
  | { readonly mode: 'required'; readonly scopes: readonly string[] };

/** A controller method, as Nest hands it to guards and keeps its metadata on. */
export type RouteHandler = ReturnType<ExecutionContext['getHandler']>;

const NO_SCOPES: readonly string[] = Object.freeze([]);

/**
 * Reads a route's access from its decorators. Required scopes are never
 * overridden: the controller's and the handler's add up, and any scope
 * makes a token required whatever `@Public()` or `@OptionalAuth()` say, so
 * that no opening decorator can silently drop an authorization requirement.
 * Otherwise the handler's `@Public()` / `@OptionalAuth()` marks override the
 * controller's (a mark set to `false` too); on one target carrying both,
 * `@OptionalAuth()` (the stricter) applies. Only `true` opens a route.
 */
export function routeAccess(
  reflector: Reflector,
  handler: RouteHandler,
  controller: Type,
): RouteAccess {
  const targets = [handler, controller];
  const scopes = reflector.getAllAndMerge<string[]>(
    REQUIRED_SCOPES_KEY,
    targets,
  );
  if (scopes.length > 0) {
    return { mode: 'required', scopes: [...new Set(scopes)] };
  }
  // The first target that says anything decides, `false` included: a
  // handler marked not public stays guarded in a `@Public()` controller.
  for (const target of targets) {
    const optional = reflector.get<unknown>(IS_OPTIONAL_AUTH_KEY, target);
    const open = reflector.get<unknown>(IS_PUBLIC_KEY, target);
    if (optional === undefined && open === undefined) continue;
    if (optional === true) return { mode: 'optional' };
    if (open === true) return { mode: 'public' };
    break;
  }
  return { mode: 'required', scopes: NO_SCOPES };
}

/**
 * `routeAccess()`, remembered per route. Decorators are applied when a
 * class is defined, so a route's access does not change while the
 * application runs; reading it again would cost several metadata lookups
 * on every request.
 */
export class RouteAccessReader {
  private readonly byController = new WeakMap<
    Type,
    WeakMap<RouteHandler, RouteAccess>
  >();

  constructor(private readonly reflector: Reflector) {}

  read(handler: RouteHandler, controller: Type): RouteAccess {
    let byHandler = this.byController.get(controller);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.byController.set(controller, byHandler);
    }
    let access = byHandler.get(handler);
    if (access === undefined) {
      access = routeAccess(this.reflector, handler, controller);
      byHandler.set(handler, access);
    }
    return access;
  }
}
