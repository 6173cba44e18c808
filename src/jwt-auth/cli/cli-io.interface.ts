import type { Environment } from './environment.js';

/** What the command line reads and writes: the process's, or a test's. */
export interface CliIo {
  readonly env: Environment;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * Standard input as text, or `undefined` when it is longer than any token
   * could be (it is not read to its end).
   */
  readonly readStdin: () => Promise<string | undefined>;
}
