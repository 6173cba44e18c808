import type { LoggerService } from '@nestjs/common';

/** One log call. */
export interface LogEntry {
  readonly level: string;
  readonly message: string;
  readonly context?: string;
}

/** A Nest logger that keeps every call, at every level, for a test to inspect. */
export class CapturingLogger implements LoggerService {
  readonly entries: LogEntry[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.keep('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.keep('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.keep('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.keep('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.keep('fatal', message, rest);
  }

  /** Everything logged, as one text. */
  text(): string {
    return this.entries
      .map(
        (entry) => `${entry.level} [${entry.context ?? ''}] ${entry.message}`,
      )
      .join('\n');
  }

  private keep(level: string, message: unknown, rest: unknown[]): void {
    const context =
      typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const extra = rest.slice(0, context === undefined ? rest.length : -1);
    const text = [message, ...extra]
      .map((part) =>
        part instanceof Error
          ? `${part.message}\n${part.stack ?? ''}`
          : typeof part === 'string'
            ? part
            : JSON.stringify(part),
      )
      .join(' ');
    this.entries.push({ level, message: text, context });
  }
}
