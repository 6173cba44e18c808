#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from './run.js';

/** The most standard input read: far beyond any token the module accepts. */
const STDIN_LIMIT = 1 << 20;

/** Standard input as text, or `undefined` past `STDIN_LIMIT` (then left unread). */
async function readStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) {
    process.stderr.write('Paste the token, then press Ctrl-D:\n');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > STDIN_LIMIT) {
      process.stdin.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
});
