import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

/** The Node.js request under Express's or Fastify's, as far as it matters here. */
interface RequestStream {
  readonly destroyed?: boolean;
  readonly errored?: unknown;
}

/**
 * Nest's own answer to every error, except the error of a request whose
 * client went away before its body arrived: with no one to answer, it is
 * dropped, without the error and stack trace Nest would log for each one.
 * Fastify reports such a request's stream error to the handler; Express
 * answers it as a 400 nobody reads.
 *
 * Catching everything, it takes precedence over filters that modules
 * declare; the demo has none.
 */
@Catch()
export class ClientGoneFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (clientIsGone(exception, host)) return;
    super.catch(exception, host);
  }
}

/** Whether `exception` is the very error that ended the request's own stream. */
function clientIsGone(exception: unknown, host: ArgumentsHost): boolean {
  const request = host
    .switchToHttp()
    .getRequest<RequestStream & { raw?: RequestStream }>();
  const stream = request.raw ?? request;
  return (
    stream.destroyed === true &&
    exception instanceof Error &&
    exception === stream.errored
  );
}
