/**
 * The one exit path of the CLI: every action runs through `action()`, which prints a
 * SyncError as "error: message" + "hint: fix" on stderr and sets the exit code.
 */
import { isSyncError } from '../core/errors.js';

/** Throw to end a command with a specific exit code (after printing `message`, if any). */
export class CliExit extends Error {
  constructor(readonly exitCode: number, message = '') {
    super(message);
  }
}

export function printError(err: unknown): number {
  if (err instanceof CliExit) {
    if (err.message) process.stderr.write(`${err.message}\n`);
    return err.exitCode;
  }
  if (isSyncError(err)) {
    process.stderr.write(`error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    return 1;
  }
  const e = err as Error;
  process.stderr.write(`error: ${e?.message ?? String(err)}\n`);
  if (process.env.DB_SYNC_DEBUG && e?.stack) process.stderr.write(`${e.stack}\n`);
  return 1;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function action<A extends any[]>(
  fn: (...args: A) => Promise<number | void> | number | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (err) {
      process.exitCode = printError(err);
    }
  };
}
