/**
 * Kill -9 at a known instant: run the CLI with DB_SYNC_CRASH_POINT=name:N (src/core/crash-point.ts)
 * and read where the kill landed from the line the process writes just before it kills itself.
 * A run whose crash point is never reached is stopped after `timeoutMs` and reported as a miss.
 */
import { spawn } from 'node:child_process';
import { CLI } from './context.js';

/** mulberry32: seeded, so a failing kill schedule can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CrashRun {
  /** "name:N" the process reported before killing itself, null when it never got there. */
  landed: string | null;
  /** What was in flight at the kill (the crash point's detail). */
  detail: string;
  signal: NodeJS.Signals | null;
  /** Exit code when it ended on its own (an error, not the kill). */
  code: number | null;
  stderr: string;
}

export async function runToCrashPoint(args: string[], env: NodeJS.ProcessEnv, point: string,
  timeoutMs = 60_000): Promise<CrashRun> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...env, DB_SYNC_CRASH_POINT: point }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('exit', (c, sig) => resolve([c, sig]));
  });
  clearTimeout(timer);
  const m = /db-sync crash point (\S+)(?: \((.*)\))?\n/.exec(stderr);
  return { landed: m ? (m[1] as string) : null, detail: m?.[2] ?? '', signal, code, stderr };
}
