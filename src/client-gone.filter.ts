import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

/**
 * Nest's own answer to every error, except for a request whose client went
 * away before its body arrived: with no one to answer, it is dropped,
 * without the error and stack trace Nest would log for each one. Fastify
 * reports such a request as an error; Express drops it.
 */
@Catch()
export class ClientGoneFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (clientIsGone(exception, host)) return;
    super.catch(exception, host);
  }
}

function clientIsGone(exception: unknown, host: ArgumentsHost): boolean {
  if (
    typeof exception !== 'object' ||
    exception === null ||
    (exception as { code?: unknown }).code !== 'ECONNRESET'
  ) {
    return false;
  }
  const request = host.switchToHttp().getRequest<{
    raw?: { destroyed?: boolean };
    destroyed?: boolean;
  }>();
  return (request.raw ?? request).destroyed === true;
}
