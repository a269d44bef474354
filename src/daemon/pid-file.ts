/**
 * The service's PID file (paths.pidFile). Created exclusively ('wx') by the service process
 * itself, so two concurrent starts cannot both win; a file naming a dead process is stale
 * and removed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SyncError } from '../core/errors.js';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An exited process nobody reaped yet (containers whose PID 1 does not reap) is gone for us. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    // no /proc entry: the process is gone, not a zombie
    return false;
  }
}

export function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    // no PID file or unreadable: no service recorded
    return null;
  }
}

/** PID of the running service, or null; removes a stale file on the way. */
export function runningPid(file: string): number | null {
  const pid = readPid(file);
  if (pid !== null && isProcessAlive(pid)) return pid;
  rmSync(file, { force: true });
  return null;
}

export function alreadyRunning(pid: number, file: string): SyncError {
  return new SyncError('SERVICE_RUNNING', `the service is already running (PID ${pid})`, {
    hint: `Stop it with \`db-sync service stop\` (PID file ${file}), or use \`db-sync service restart\`.`,
    details: { pid },
  });
}

/** Claim the PID file for this process; throws SERVICE_RUNNING when another live service owns it. */
export function acquirePidFile(file: string, pid = process.pid): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, `${pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const other = runningPid(file);
      if (other !== null && other !== pid) throw alreadyRunning(other, file);
      if (other === pid) return;
    }
  }
  throw new SyncError('PID_FILE', `cannot create the PID file ${file}`, {
    hint: 'Remove it if no db-sync service is running.',
  });
}

/** Remove the PID file if it is still ours. */
export function releasePidFile(file: string, pid = process.pid): void {
  if (readPid(file) === pid) rmSync(file, { force: true });
}
