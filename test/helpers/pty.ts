/**
 * Drive an interactive CLI through a real pseudo-terminal (util-linux `script`), the way
 * a person at a terminal would: wait for a prompt, type, press keys.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface PtySession {
  /** Wait until the accumulated output matches, or fail after timeoutMs. */
  expect(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  write(text: string): void;
  output(): string;
  /** Output with the terminal's escape sequences (colours) left in. */
  raw(): string;
  exit(): Promise<number>;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]|\u001b[=>]/g;

export function spawnPty(command: string[], env: NodeJS.ProcessEnv, cwd: string): PtySession {
  const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child: ChildProcess = spawn('script', ['-qfec', `stty cols 200; ${quoted}`, '/dev/null'], { env: { ...env, TERM: 'xterm' }, cwd });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString('utf8');
    for (const w of waiters) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  return {
    output: () => out.replace(ANSI, ''),
    raw: () => out,
    write: (text) => { child.stdin?.write(text); },
    exit: () => exited,
    expect(pattern, timeoutMs = 15_000) {
      const test = () => (typeof pattern === 'string' ? out.replace(ANSI, '').includes(pattern) : pattern.test(out.replace(ANSI, '')));
      return new Promise((resolve, reject) => {
        if (test()) return resolve();
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`timed out waiting for ${String(pattern)}; output so far:\n${out.replace(ANSI, '')}`)); }, timeoutMs);
        const check = () => { if (test()) { clearTimeout(timer); waiters.delete(check); resolve(); } };
        waiters.add(check);
      });
    },
  };
}

export const KEYS = { enter: '\r', down: '\u001b[B', up: '\u001b[A', space: ' ' };
