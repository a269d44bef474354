/**
 * What `service start --daemon`, `stop` and `status` do from the outside: spawn the detached
 * service and wait until it reports itself up, signal it and wait until it is gone.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Paths } from '../core/config/store.js';
import { SyncError } from '../core/errors.js';
import { alreadyRunning, isProcessAlive, runningPid } from './pid-file.js';
import { readStatusFile } from './status-file.js';
import { sleep } from '../core/sleep.js';
import { NODE_FLAGS } from '../core/node-flags.js';

// Run from source (`npm run dev`, tsx): start the daemon from source too, with the same loader.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const CLI_MAIN = fileURLToPath(new URL(`../cli/main.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url));
export const CLI_COMMAND = [...(FROM_SOURCE ? process.execArgv : []), ...NODE_FLAGS, CLI_MAIN];
export const DAEMON_ENV = 'DB_SYNC_DAEMON_CHILD';

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}


/**
 * Start the service detached (own session, stdin closed, stdout/stderr appended to
 * logs/daemon.out); resolves with its PID once its status file says it runs.
 */
export async function startDaemon(paths: Paths, args: string[], timeoutMs = 30_000): Promise<number> {
  const existing = runningPid(paths.pidFile);
  if (existing !== null) throw alreadyRunning(existing, paths.pidFile);
  mkdirSync(paths.logDir, { recursive: true });
  const outFile = path.join(paths.logDir, 'daemon.out');
  const out = openSync(outFile, 'a', 0o600);
  const child = spawn(process.execPath, [...CLI_COMMAND, 'service', 'start', ...args], {
    detached: true, stdio: ['ignore', out, out], env: { ...process.env, [DAEMON_ENV]: '1' },
  });
  closeSync(out);
  let exitCode: number | null = null;
  child.once('exit', (code, sig) => { exitCode = code ?? (sig ? 128 : 1); });
  const pid = child.pid!;
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (exitCode !== null) {
        const message = `the service exited with code ${exitCode} while starting:\n${tail(outFile)}`;
        throw new SyncError('SERVICE_START_FAILED', message, {
          hint: `Fix the cause above (full output in ${outFile}, logs in ${paths.logDir}).`,
        });
      }
      const doc = readStatusFile(paths.statusFile);
      if (doc && doc.service.pid === pid && doc.service.running) return pid;
      await sleep(100);
    }
    const within = `${timeoutMs / 1000} s`;
    throw new SyncError('SERVICE_START_TIMEOUT', `the service (PID ${pid}) did not report itself up within ${within}`, {
      hint: `It may still be starting: check \`db-sync service status\` and ${outFile}.`,
    });
  } finally {
    child.unref();
  }
}

export interface StopResult {
  pid: number | null;
  stopped: boolean;
}

/** SIGTERM the running service and wait until the process is gone (or the deadline passes). */
export async function stopDaemon(paths: Paths, deadlineMs = 20_000): Promise<StopResult> {
  const pid = runningPid(paths.pidFile);
  if (pid === null) return { pid: null, stopped: true };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // ESRCH: the process is already gone
    return { pid, stopped: true };
  }
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return { pid, stopped: true };
    await sleep(100);
  }
  return { pid, stopped: false };
}
