import {
  afterEach,
  beforeEach,
  describe,
  expect,
  it,
  jest,
} from '@jest/globals';
import {
  Logger,
  UnauthorizedException,
  type ArgumentsHost,
  type HttpServer,
} from '@nestjs/common';
import { ClientGoneFilter } from './client-gone.filter.js';

interface Stream {
  destroyed: boolean;
  errored: unknown;
}

function hostFor(request: object): ArgumentsHost {
  const response = {};
  return {
    getArgs: () => [request, response],
    getArgByIndex: (index: number) => [request, response][index],
    getType: () => 'http',
    switchToHttp: () => ({
      getRequest: () => request,
      getResponse: () => response,
      getNext: () => undefined,
    }),
  } as unknown as ArgumentsHost;
}

describe('ClientGoneFilter', () => {
  const reply = jest.fn();
  const adapter = {
    reply,
    isHeadersSent: () => false,
    end: jest.fn(),
  } as unknown as HttpServer;
  const filter = new ClientGoneFilter(adapter);
  let logged: jest.SpiedFunction<Logger['error']>;

  beforeEach(() => {
    reply.mockClear();
    logged = jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation(() => undefined);
  });
  afterEach(() => logged.mockRestore());

  const aborted = () =>
    Object.assign(new Error('aborted'), { code: 'ECONNRESET' });

  it.each([
    ['Fastify', (stream: Stream) => ({ raw: stream })],
    ['Express', (stream: Stream) => stream],
  ])(
    'drops, unanswered and unlogged, the error that ended the request stream (%s)',
    (_name, requestOf) => {
      const error = aborted();
      filter.catch(
        error,
        hostFor(requestOf({ destroyed: true, errored: error })),
      );
      expect(reply).not.toHaveBeenCalled();
      expect(logged).not.toHaveBeenCalled();
    },
  );

  it('answers and logs another error of a request whose client is gone', () => {
    const request = { raw: { destroyed: true, errored: aborted() } };
    filter.catch(aborted(), hostFor(request));
    expect(reply).toHaveBeenCalledWith(
      {},
      { statusCode: 500, message: 'Internal server error' },
      500,
    );
    expect(logged).toHaveBeenCalled();
  });

  it('answers a reset error while the client is still there', () => {
    const error = aborted();
    filter.catch(error, hostFor({ raw: { destroyed: false, errored: error } }));
    expect(reply).toHaveBeenCalledWith(
      {},
      { statusCode: 500, message: 'Internal server error' },
      500,
    );
  });

  it('answers an HTTP exception as Nest does', () => {
    filter.catch(
      new UnauthorizedException(),
      hostFor({ raw: { destroyed: false, errored: null } }),
    );
    expect(reply).toHaveBeenCalledWith(
      {},
      { statusCode: 401, message: 'Unauthorized' },
      401,
    );
  });
});
