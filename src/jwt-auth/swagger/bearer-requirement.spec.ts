import { describe, expect, it } from '@jest/globals';
import {
  SetMetadata,
  UseGuards,
  type CanActivate,
  type Type,
} from '@nestjs/common';
import { JwtAuthGuard } from '../jwt-auth.guard.js';
import { IS_PUBLIC_KEY } from '../public.decorator.js';
import type { RouteHandler } from '../route-access.js';
import {
  bearerRequirement,
  type BearerRequirement,
} from './bearer-requirement.js';

class OwnJwtAuthGuard extends JwtAuthGuard {}

class OtherGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** The guards a route can name, and whether each is JwtAuthGuard. */
const GUARDS = [
  { name: 'JwtAuthGuard', guard: JwtAuthGuard, jwt: true },
  {
    name: 'a JwtAuthGuard instance',
    guard: Object.create(JwtAuthGuard.prototype) as CanActivate,
    jwt: true,
  },
  { name: 'a JwtAuthGuard subclass', guard: OwnJwtAuthGuard, jwt: true },
  { name: 'another guard', guard: OtherGuard, jwt: false },
] as const;

type Guard = (typeof GUARDS)[number];

/** Every subset of `GUARDS`. */
const GUARD_SETS: Guard[][] = GUARDS.reduce<Guard[][]>(
  (sets, guard) => [...sets, ...sets.map((set) => [...set, guard])],
  [[]],
);

const PUBLIC_MARKS = [undefined, true, false] as const;

interface Route {
  globalGuard: boolean;
  handlerPublic: boolean | undefined;
  controllerPublic: boolean | undefined;
  handlerGuards: Guard[];
  controllerGuards: Guard[];
}

function* everyRoute(): Generator<Route> {
  for (const globalGuard of [false, true])
    for (const handlerPublic of PUBLIC_MARKS)
      for (const controllerPublic of PUBLIC_MARKS)
        for (const handlerGuards of GUARD_SETS)
          for (const controllerGuards of GUARD_SETS)
            yield {
              globalGuard,
              handlerPublic,
              controllerPublic,
              handlerGuards,
              controllerGuards,
            };
}

/** A fresh controller decorated as `route` says, and its handler. */
function controllerFor(route: Route): [Type, RouteHandler] {
  class Controller {
    handle(): void {}
  }
  const handler: RouteHandler = Reflect.get(Controller.prototype, 'handle');
  const descriptor = { value: handler };
  if (route.handlerPublic !== undefined) {
    SetMetadata(IS_PUBLIC_KEY, route.handlerPublic)(
      Controller.prototype,
      'handle',
      descriptor,
    );
  }
  if (route.handlerGuards.length > 0) {
    UseGuards(...route.handlerGuards.map(({ guard }) => guard))(
      Controller.prototype,
      'handle',
      descriptor,
    );
  }
  if (route.controllerPublic !== undefined) {
    SetMetadata(IS_PUBLIC_KEY, route.controllerPublic)(Controller);
  }
  if (route.controllerGuards.length > 0) {
    UseGuards(...route.controllerGuards.map(({ guard }) => guard))(Controller);
  }
  return [Controller, handler];
}

/**
 * What JwtAuthGuard does, stated plainly: it checks a token when it guards
 * the route, globally or named on the method or the controller, unless the
 * route is public: the handler's mark, or else the controller's, is true.
 */
function expected(route: Route): BearerRequirement | undefined {
  const guarded =
    route.globalGuard ||
    [...route.handlerGuards, ...route.controllerGuards].some(({ jwt }) => jwt);
  const open = (route.handlerPublic ?? route.controllerPublic) === true;
  return guarded && !open ? { mode: 'required', scopes: [] } : undefined;
}

describe('bearerRequirement', () => {
  it('agrees with the guard on every combination of guard mode, @Public() marks and guards', () => {
    let routes = 0;
    for (const route of everyRoute()) {
      const [controller, handler] = controllerFor(route);
      const described = {
        ...route,
        handlerGuards: route.handlerGuards.map(({ name }) => name),
        controllerGuards: route.controllerGuards.map(({ name }) => name),
      };
      expect({
        ...described,
        requirement: bearerRequirement(controller, handler, route.globalGuard),
      }).toEqual({ ...described, requirement: expected(route) });
      routes += 1;
    }
    expect(routes).toBe(2 * 3 * 3 * 16 * 16);
  });
});
