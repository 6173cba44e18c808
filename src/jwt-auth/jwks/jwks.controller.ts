import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import {
  InjectJwtAuthOptions,
  type ResolvedJwtAuthOptions,
} from '../jwt-auth.options.js';
import { Public } from '../public.decorator.js';
import { publicJwkSet } from './public-jwk-set.js';

/**
 * How long, in seconds, a client or a cache on the way may keep the set.
 * A verifier fetches the set again when a token names a `kid` it does not
 * hold, so a new key is picked up without waiting for that; but a cache on
 * the way may answer that fetch with a copy this old. Hence a new key goes
 * into `keys` (published, not yet signing) longer than this before it
 * signs.
 */
const MAX_AGE = 300;

/**
 * Serves the public keys of `keys` as a JWK Set at
 * `GET /.well-known/jwks.json`, for the verifiers of the tokens the module
 * signs; registered by the `publishJwks` extra. Open under `globalGuard`,
 * and outside any URI version.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2 (`jwks_uri`)
 */
@Public()
@Controller({ path: '.well-known', version: VERSION_NEUTRAL })
export class JwksController {
  /** The set, serialized once: the keys do not change while the app runs. */
  private readonly body: string;

  /** @throws JwtAuthOptionsError at startup when there is no public key to publish. */
  constructor(@InjectJwtAuthOptions() options: ResolvedJwtAuthOptions) {
    this.body = JSON.stringify(publicJwkSet(options.keys));
  }

  @Get('jwks.json')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @Header('Cache-Control', `public, max-age=${MAX_AGE}`)
  jwks(): string {
    return this.body;
  }
}
