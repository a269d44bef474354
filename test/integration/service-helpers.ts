/**
 * Shared by the service-* integration tests: run the built service in the foreground as a
 * child process, read its status file, wait for states, and compare target with source.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { CLI } from '../helpers/context.js';
import type { StatusDocument } from '../../src/daemon/status-file.js';
import type { PairStatus } from '../../src/core/status.js';

export interface RunningService {
  child: ChildProcess;
  output(): string;
  /** SIGTERM; resolves with the exit code and how long the exit took. */
  terminate(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

export function startService(home: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): RunningService {
  let out = '';
  const child = spawn(process.execPath, [CLI, 'service', 'start', ...args], { env: { ...process.env, ...env, DB_SYNC_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  return {
    child,
    output: () => out,
    async terminate(signal = 'SIGTERM') {
      const t0 = Date.now();
      if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, ms: 0 };
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill(signal);
      const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      return { code, ms: Date.now() - t0 };
    },
  };
}

export function readStatus(home: string): StatusDocument | null {
  try {
    return JSON.parse(readFileSync(path.join(home, 'status.json'), 'utf8')) as StatusDocument;
  } catch {
    return null;
  }
}

export async function waitForPair(home: string, name: string, what: string, pred: (p: PairStatus) => boolean, ms = 60_000): Promise<PairStatus> {
  const deadline = Date.now() + ms;
  let last: PairStatus | undefined;
  for (;;) {
    last = readStatus(home)?.pairs.find((p) => p.name === name);
    if (last && pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for pair ${name} to be ${what}; last status: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Ordered rows of every base table (HEX for exact bytes through JSON), and the table definitions. */
export async function dumpDatabase(db: mysql.Connection): Promise<Record<string, unknown>> {
  const [tables] = await db.query("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME NOT LIKE '\\_db\\_sync\\_%' ORDER BY 1") as unknown as [Array<{ t: string }>];
  const out: Record<string, unknown> = {};
  for (const { t } of tables) {
    const [[create]] = await db.query(`SHOW CREATE TABLE \`${t}\``) as unknown as [[Record<string, string>]];
    const [rows] = await db.query({ sql: `SELECT * FROM \`${t}\` ORDER BY 1`, rowsAsArray: true }) as unknown as [unknown[][]];
    out[t] = { create: String(create['Create Table']).replace(/ AUTO_INCREMENT=\d+/, ''), rows: rows.map((r) => r.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : v))) };
  }
  return out;
}

/** Resolves when target equals source (or throws with the last difference after `ms`). */
export async function waitUntilEqual(source: mysql.Connection, target: mysql.Connection, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const [a, b] = [await dumpDatabase(source), await dumpDatabase(target)];
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (Date.now() > deadline) {
      const diff = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
      throw new Error(`target still differs from source in: ${diff.join(', ') || '(table list)'}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface PairSpec {
  name: string;
  source: { port: number; database: string };
  target: { port: number; database: string };
  /** More fields of the pair (schema, routines, mode ...). */
  options?: Record<string, unknown>;
}

/** A config with one connection per endpoint and the given pairs. */
export function writeServiceConfig(home: string, pairs: PairSpec[], settings: Record<string, unknown> = {}): void {
  const connections: Array<Record<string, unknown>> = [];
  const conn = (role: string, pair: string, e: { port: number; database: string }) => {
    const name = `${pair}-${role}`;
    connections.push({ name, host: '127.0.0.1', port: e.port, user: 'root', password: '', database: e.database });
    return name;
  };
  const syncPairs = pairs.map((p) => ({
    name: p.name, source: conn('src', p.name, p.source), target: conn('dst', p.name, p.target), ...p.options,
  }));
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({ version: 1, settings: { pollInterval: 500, retryDelay: 1000, maxRetries: 100, ...settings }, connections, syncPairs }, null, 2));
}
