import {
  BadRequestException,
  Body,
  Controller,
  Header,
  Headers,
  HttpCode,
  Post,
  Req,
  Res,
  UnsupportedMediaTypeException,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import {
  BearerChallengeService,
  Public,
  RevocationUnavailableError,
  TokenService,
  type AuthenticatedUser,
  type TokenResponse,
} from '../jwt-auth/index.js';
import { UsersService } from '../users/users.service.js';
import { LoginLimitGuard } from './login-limit.guard.js';

/** Longest username or password the demo reads, in characters. */
const MAX_CREDENTIAL_LENGTH = 1024;

/**
 * The login body as OpenAPI sees it. The controller checks the body itself
 * (`readCredentials`); this only describes that check.
 */
const CREDENTIALS_SCHEMA = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_CREDENTIAL_LENGTH,
      example: 'alice',
    },
    password: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_CREDENTIAL_LENGTH,
      example: 'alice-password',
    },
  },
};

const TOKEN_RESPONSE_SCHEMA = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in'],
  properties: {
    access_token: { type: 'string', description: 'A signed compact JWT.' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: {
      type: 'integer',
      description: 'Lifetime of the token, in seconds.',
    },
  },
};

@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly challenge: BearerChallengeService,
  ) {}

  /** Exchanges a username and password for an access token (RFC 6749 5.1). */
  @Public()
  @UseGuards(LoginLimitGuard)
  @Post('login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiBody({ schema: CREDENTIALS_SCHEMA })
  @ApiOkResponse({
    description: 'The access token (RFC 6749 5.1).',
    schema: TOKEN_RESPONSE_SCHEMA,
  })
  @ApiBadRequestResponse({ description: 'The body is not the credentials.' })
  @ApiUnauthorizedResponse({ description: 'Wrong username or password.' })
  @ApiUnsupportedMediaTypeResponse({
    description: 'The body is not `application/json`.',
  })
  @ApiTooManyRequestsResponse({
    description:
      'Too many attempts from this client, or for this username, in the window; retry after `Retry-After`.',
    headers: {
      'Retry-After': {
        description: 'Seconds to wait before the next attempt.',
        schema: { type: 'integer' },
      },
    },
  })
  async login(
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<TokenResponse> {
    if (!isJson(contentType)) {
      throw new UnsupportedMediaTypeException(
        'Body must be JSON: Content-Type: application/json',
      );
    }
    const { username, password } = readCredentials(body);
    const userId = await this.users.verifyCredentials(username, password);
    if (userId === undefined)
      throw this.challenge.refuse(response, 'invalid_credentials');
    return this.tokens.createTokenResponse(userId);
  }

  /** Revokes the presented token: it gets the 401 from now on, on every instance. */
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The token is revoked.' })
  @ApiServiceUnavailableResponse({
    description:
      'The revocation store cannot answer; retry after `Retry-After`.',
  })
  async logout(
    @Req() request: { user: AuthenticatedUser },
    @Res({ passthrough: true }) response: unknown,
  ): Promise<void> {
    try {
      await this.tokens.revoke(request.user);
    } catch (error) {
      if (error instanceof RevocationUnavailableError) {
        throw this.challenge.unavailable(response);
      }
      throw error;
    }
  }
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
function isJson(contentType: string | undefined): boolean {
  return (
    contentType !== undefined &&
    /^application\/json[\t ]*(?:;|$)/i.test(contentType.trimStart())
  );
}

function readCredentials(body: unknown): {
  username: string;
  password: string;
} {
  const { username, password } =
    typeof body === 'object' && body !== null
      ? (body as Record<string, unknown>)
      : {};
  if (!isCredential(username) || !isCredential(password)) {
    throw new BadRequestException(
      `Body must be JSON {"username","password"}: non-empty strings of at most ${MAX_CREDENTIAL_LENGTH} characters`,
    );
  }
  return { username, password };
}

function isCredential(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_CREDENTIAL_LENGTH
  );
}
