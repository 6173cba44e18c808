import type { Type } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { JwtAuthGuard } from '../jwt-auth.guard.js';
import {
  routeAccess,
  type RouteAccess,
  type RouteHandler,
} from '../route-access.js';

const reflector = new Reflector();

/** What a route guarded by `JwtAuthGuard` asks of a bearer token. */
export type BearerRequirement = Exclude<RouteAccess, { mode: 'public' }>;

/**
 * What `JwtAuthGuard` demands of a bearer token for `handler` of
 * `controller`, or `undefined` when it demands none: the route is not
 * guarded (neither globally nor by `@UseGuards(JwtAuthGuard)`, a subclass
 * or an instance, on the method or the controller), or it is `@Public()`.
 * The route's decorators are read by the guard's own rule (`routeAccess`).
 */
export function bearerRequirement(
  controller: Type,
  handler: RouteHandler,
  globalGuard: boolean,
): BearerRequirement | undefined {
  const guarded =
    globalGuard ||
    reflector
      .getAll<unknown[][]>(GUARDS_METADATA, [handler, controller])
      .some((guards) => guards?.some(isJwtAuthGuard));
  if (!guarded) return undefined;
  const access = routeAccess(reflector, handler, controller);
  return access.mode === 'public' ? undefined : access;
}

function isJwtAuthGuard(guard: unknown): boolean {
  return (
    guard instanceof JwtAuthGuard ||
    guard === JwtAuthGuard ||
    (typeof guard === 'function' && guard.prototype instanceof JwtAuthGuard)
  );
}
