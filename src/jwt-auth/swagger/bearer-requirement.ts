import type { Type } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { JwtAuthGuard } from '../jwt-auth.guard.js';
import { IS_PUBLIC_KEY } from '../public.decorator.js';

const reflector = new Reflector();

/** A controller method, as Nest's metadata is attached to it. */
export type RouteHandler = (...args: never[]) => unknown;

/**
 * Whether `JwtAuthGuard` demands a bearer token for `handler` of
 * `controller`, read from the metadata the guard itself acts on: the route
 * is guarded globally or by `@UseGuards(JwtAuthGuard)` (or a subclass, or
 * an instance) on the method or the controller, and is not `@Public()`,
 * with the guard's own precedence (the method's mark over the controller's).
 */
export function requiresBearerToken(
  controller: Type,
  handler: RouteHandler,
  globalGuard: boolean,
): boolean {
  const isPublic = reflector.getAllAndOverride<boolean | undefined>(
    IS_PUBLIC_KEY,
    [handler, controller],
  );
  if (isPublic === true) return false;
  if (globalGuard) return true;
  return reflector
    .getAll<unknown[][]>(GUARDS_METADATA, [handler, controller])
    .some((guards) => guards?.some(isJwtAuthGuard));
}

function isJwtAuthGuard(guard: unknown): boolean {
  return (
    guard instanceof JwtAuthGuard ||
    guard === JwtAuthGuard ||
    (typeof guard === 'function' && guard.prototype instanceof JwtAuthGuard)
  );
}
