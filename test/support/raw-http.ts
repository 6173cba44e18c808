import { connect } from 'node:net';

/** A response as it came over the wire. */
export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; repeated fields joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends one HTTP/1.1 GET with exactly the header bytes given, which Node's
 * own client would refuse to send (control characters, raw non-ASCII,
 * repeated fields), then `body` if given (which Node's `fetch` never sends
 * with a GET), and reads the response to the end of the connection.
 */
export function rawGet(
  port: number,
  path: string,
  headerLines: ReadonlyArray<string | Buffer>,
  body = '',
): Promise<RawResponse> {
  const head = Buffer.concat([
    Buffer.from(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`,
      'latin1',
    ),
    ...headerLines.map((line) =>
      Buffer.concat([
        typeof line === 'string' ? Buffer.from(line, 'latin1') : line,
        Buffer.from('\r\n'),
      ]),
    ),
    Buffer.from('\r\n'),
    Buffer.from(body, 'latin1'),
  ]);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () =>
      socket.destroy(new Error('no answer within 10 s')),
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    let failure: Error | undefined;
    // A server that answers a request it refuses (431, say) before reading
    // all of it may reset the connection: what it answered still counts.
    socket.on('error', (error) => (failure = error));
    socket.on('close', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks).toString('latin1')));
      } catch (error) {
        reject(
          failure ??
            (error instanceof Error ? error : new Error(String(error))),
        );
      }
    });
    socket.write(head);
  });
}

function parseResponse(text: string): RawResponse {
  const split = text.indexOf('\r\n\r\n');
  if (split < 0)
    throw new Error(
      `not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`,
    );
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let body = text.slice(split + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status, headers, body };
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}
