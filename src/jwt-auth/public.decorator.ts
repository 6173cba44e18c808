import { SetMetadata } from '@nestjs/common';

/** Metadata key set by `@Public()`. */
export const IS_PUBLIC_KEY = 'jwt-auth:public';

/** Marks a route or controller as open: `JwtAuthGuard` lets it through without a token. */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata(IS_PUBLIC_KEY, true);
