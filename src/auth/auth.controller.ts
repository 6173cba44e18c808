import {
  BadRequestException,
  Body,
  Controller,
  Header,
  HttpCode,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import {
  BearerChallengeService,
  Public,
  RevocationUnavailableError,
  TokenService,
  type AuthenticatedUser,
  type TokenResponse,
} from '../jwt-auth/index.js';
import { UsersService } from '../users/users.service.js';

/** Longest username or password the demo reads, in characters. */
const MAX_CREDENTIAL_LENGTH = 1024;

@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
    private readonly challenge: BearerChallengeService,
  ) {}

  /** Exchanges a username and password for an access token (RFC 6749 5.1). */
  @Public()
  @Post('login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async login(
    @Body() body: unknown,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<TokenResponse> {
    const { username, password } = readCredentials(body);
    const userId = await this.users.verifyCredentials(username, password);
    if (userId === undefined)
      throw this.challenge.refuse(response, 'invalid_credentials');
    return this.tokens.createTokenResponse(userId);
  }

  /** Revokes the presented token: it gets the 401 from now on, on every instance. */
  @Post('logout')
  @HttpCode(204)
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
