import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { startServer, stopServer } from './http.js';
import { printTable } from './stats.js';

/** The bound on the p99 of a logout's propagation, in milliseconds. */
export const PROPAGATION_LIMIT_MS = 100;

/** How long one sample waits for the other server to refuse, in milliseconds. */
const GIVE_UP_MS = 5000;

export interface PropagationResult {
  readonly adapter: string;
  readonly samples: number;
  /** From the logout's 204 on one server to the first 401 on the other, in milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Answers of the other server that were neither 200 nor 401 (a 503 while out of step). */
  readonly unavailable: number;
}

/**
 * How long a logout on one server takes to be refused on another sharing
 * its Redis: two bench servers, a fresh token per sample accepted by the
 * second, logged out on the first, then asked of the second, one request
 * after another, until it refuses it. The time runs from the logout's 204
 * to that refusal's arrival, so it includes a request's round trip.
 */
export async function runPropagation(
  adapter: 'express' | 'fastify',
  options: {
    readonly secret: string;
    readonly redisUrl: string;
    readonly samples: number;
    readonly sign: (userId: number) => Promise<string>;
  },
): Promise<PropagationResult> {
  const env = {
    BENCH_ADAPTER: adapter,
    JWT_SECRET: options.secret,
    REDIS_URL: options.redisUrl,
  };
  const servers = [await startServer(env), await startServer(env)];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const [writer, reader] = servers;
    const times: number[] = [];
    let unavailable = 0;
    for (let i = 0; i < options.samples + 10; i++) {
      const token = await options.sign(1_000_000 + i);
      await expectStatus(agent, reader.url, 'GET', '/me', token, 200);
      await expectStatus(agent, writer.url, 'POST', '/logout', token, 204);
      const acknowledged = performance.now();
      for (;;) {
        const status = await statusOf(agent, reader.url, 'GET', '/me', token);
        if (status === 401) break;
        if (status !== 200) unavailable++;
        if (performance.now() - acknowledged > GIVE_UP_MS) {
          throw new Error(
            `a logout was not refused by the other server within ${GIVE_UP_MS} ms`,
          );
        }
      }
      // The first few warm both servers up.
      if (i >= 10) times.push(performance.now() - acknowledged);
    }
    times.sort((a, b) => a - b);
    const at = (quantile: number) =>
      times[Math.min(times.length - 1, Math.ceil(quantile * times.length) - 1)];
    return {
      adapter,
      samples: times.length,
      p50: at(0.5),
      p99: at(0.99),
      max: times[times.length - 1],
      unavailable,
    };
  } finally {
    agent.destroy();
    await Promise.all(servers.map(stopServer));
  }
}

export function printPropagation(results: readonly PropagationResult[]): void {
  process.stdout.write(
    '\nRevocation propagation with the Redis store: logout on one server (204) to refusal on the other (401), ms\n',
  );
  printTable([
    ['adapter', 'samples', 'p50', 'p99', 'max', '503s seen'],
    ...results.map((result) => [
      result.adapter,
      String(result.samples),
      result.p50.toFixed(2),
      result.p99.toFixed(2),
      result.max.toFixed(2),
      String(result.unavailable),
    ]),
  ]);
}

async function expectStatus(
  agent: Agent,
  url: string,
  method: string,
  path: string,
  token: string,
  expected: number,
): Promise<void> {
  const status = await statusOf(agent, url, method, path, token);
  if (status !== expected) {
    throw new Error(`${method} ${path} answered ${status}, not ${expected}`);
  }
}

/** One request's status, its body read and dropped. */
function statusOf(
  agent: Agent,
  url: string,
  method: string,
  path: string,
  token: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      { method, agent, headers: { Authorization: `Bearer ${token}` } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
