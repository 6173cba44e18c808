import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * The built demo as users run it (`npm run start:prod`): a real process,
 * configured by its environment. `npm test` builds it first.
 */
export const DEMO_MAIN = fileURLToPath(
  new URL('../../dist/main.js', import.meta.url),
);

export interface DemoProcess {
  readonly child: ChildProcess;
  /** Everything the process has written to stdout and stderr so far. */
  output(): string;
}

/** Starts the built demo on a free port with `env` and nothing else. */
export function startDemo(env: Record<string, string>): DemoProcess {
  const child = spawn(process.execPath, [DEMO_MAIN], {
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** The URL the demo logs once it listens; throws with its output if it never does. */
export async function listeningUrl(demo: DemoProcess): Promise<string> {
  for (let waited = 0; waited < 15_000; waited += 50) {
    const url = /Listening on (http:\/\/\S+)/.exec(demo.output())?.[1];
    if (url !== undefined) return url;
    if (demo.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the demo did not start:\n${demo.output()}`);
}

/** Waits for the demo to exit and returns its status. */
export async function exitOf(demo: DemoProcess): Promise<number | null> {
  if (demo.child.exitCode === null) await once(demo.child, 'exit');
  return demo.child.exitCode;
}

/** Stops the demo as a process manager would (SIGTERM) and waits for it to exit. */
export async function stopDemo(demo: DemoProcess): Promise<number | null> {
  demo.child.kill('SIGTERM');
  return exitOf(demo);
}
