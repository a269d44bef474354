/**
 * Throwaway MariaDB servers (demo, tests, benchmarks), started from the installed `mariadbd`
 * with a fresh datadir in a temp folder and a free port on 127.0.0.1. Nothing here touches
 * the machine's own server on 3306. test/helpers/mariadb-server.ts builds on this file.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openConnection } from '../core/db/connection.js';
import { SyncError } from '../core/errors.js';
import { sleep } from '../core/sleep.js';

export interface ServerOptions {
  /** Source role: --log-bin, ROW, FULL image and metadata. */
  binlog?: boolean;
  serverId?: number;
  port?: number;
  datadir?: string;
  extraArgs?: string[];
  label?: string;
  /** Own process group, so a terminal's Ctrl-C reaches only the parent (the demo stops it). */
  ownProcessGroup?: boolean;
}

export interface LocalServer {
  port: number;
  datadir: string;
  socket: string;
  serverId: number;
  binlog: boolean;
  pid: number | undefined;
  /** Graceful shutdown; keeps the datadir when `keepData`. */
  stop(keepData?: boolean): Promise<void>;
  /** Start again on the same port and datadir after stop(true). */
  restart(): Promise<void>;
  /** Run SQL through the `mariadb` client (multi-statement files, DELIMITER handling). */
  sql(text: string, database?: string): string;
}

export function findBinary(names: string[]): string {
  const dirs = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')];
  for (const name of names) for (const dir of dirs) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new SyncError('MARIADB_NOT_FOUND', `none of ${names.join(', ')} found`, {
    hint: 'Install the MariaDB server binaries: apt-get install mariadb-server',
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function serverArgs(o: Required<Pick<ServerOptions, 'serverId'>> & ServerOptions, datadir: string, port: number,
  socket: string): string[] {
  const user = os.userInfo().username;
  const args = [
    '--no-defaults', `--datadir=${datadir}`, `--port=${port}`, `--socket=${socket}`, '--bind-address=127.0.0.1',
    `--pid-file=${path.join(datadir, 'mariadbd.pid')}`, `--log-error=${path.join(datadir, 'error.log')}`,
    `--user=${user}`, `--server-id=${o.serverId}`, '--skip-name-resolve', '--local-infile=1',
    '--innodb-buffer-pool-size=128M', '--innodb-log-file-size=64M', '--innodb-flush-log-at-trx-commit=2',
    '--max-connections=300', '--character-set-server=utf8mb4', '--collation-server=utf8mb4_general_ci',
    '--event-scheduler=ON', '--skip-log-warnings', '--lower-case-table-names=0',
    // Own tmpdir: a starting mariadbd deletes every #sql* file in its tmpdir, which in a
    // shared /tmp removes other running servers' temporary tables (seen: install-db failures
    // and a segfault in free_tmp_table).
    `--tmpdir=${privateTmp(datadir)}`,
  ];
  if (o.binlog) {
    args.push(`--log-bin=${path.join(datadir, 'mysql-bin')}`, '--binlog-format=ROW', '--binlog-row-image=FULL',
      '--binlog-row-metadata=FULL', '--sync-binlog=0');
  }
  return [...args, ...(o.extraArgs ?? [])];
}

/** The root account of a local throwaway server, as a db-sync connection. */
export function rootConnectionConfig(port: number, database = 'mysql') {
  return { name: 'local', host: '127.0.0.1', port, user: 'root', password: '', database };
}

async function waitReady(port: number, child: ChildProcess, datadir: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const errorLog = path.join(datadir, 'error.log');
      const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8').slice(-3000) : '';
      throw new Error(`mariadbd exited with ${child.exitCode} during start-up:\n${log}`);
    }
    try {
      await (await openConnection(rootConnectionConfig(port), { database: null, connectTimeoutMs: 1000 })).close();
      return;
    } catch (err) {
      lastErr = err;
      await sleep(150);
    }
  }
  throw new Error(`mariadbd on port ${port} not ready after ${timeoutMs} ms: ${String(lastErr)}`);
}

/** A server's private temporary directory, beside (not inside: it would show as a database) its datadir. */
function privateTmp(datadir: string): string {
  const dir = `${datadir}.tmp`;
  mkdirSync(dir, { recursive: true });
  return dir;
}

const running = new Set<LocalServer>();

export async function startServer(options: ServerOptions = {}): Promise<LocalServer> {
  const o = { serverId: options.serverId ?? (options.binlog ? 1 : 2), ...options };
  const datadir = o.datadir ?? mkdtempSync(path.join(os.tmpdir(), `db-sync-${o.label ?? 'mariadb'}-`));
  const socket = path.join(datadir, 'mysqld.sock');
  const port = o.port ?? (await freePort());
  if (!existsSync(path.join(datadir, 'mysql'))) {
    execFileSync(findBinary(['mariadb-install-db', 'mysql_install_db']), [
      '--no-defaults', `--datadir=${datadir}`, `--user=${os.userInfo().username}`,
      '--auth-root-authentication-method=normal', '--skip-test-db',
    ], { stdio: 'pipe', env: { ...process.env, TMPDIR: privateTmp(datadir) } });
  }
  let child: ChildProcess | undefined;
  const bin = findBinary(['mariadbd', 'mysqld']);
  const launch = async () => {
    child = spawn(bin, serverArgs(o, datadir, port, socket), { stdio: 'ignore', detached: !!o.ownProcessGroup });
    await waitReady(port, child, datadir);
  };
  await launch();
  const server: LocalServer = {
    port, datadir, socket, serverId: o.serverId, binlog: !!o.binlog,
    get pid() { return child?.pid; },
    async stop(keepData = false) {
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) { // not already gone (a test's kill -9)
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      if (!keepData) {
        running.delete(server);
        rmSync(datadir, { recursive: true, force: true });
        rmSync(`${datadir}.tmp`, { recursive: true, force: true });
      }
    },
    async restart() {
      await launch();
    },
    sql(text: string, database?: string) {
      const args = ['--no-defaults', '-h127.0.0.1', `-P${port}`, '-uroot', '--batch', '--skip-column-names',
        '--default-character-set=utf8mb4'];
      if (database) args.push(database);
      const client = findBinary(['mariadb', 'mysql']);
      return execFileSync(client, args, { input: text, encoding: 'utf8', maxBuffer: 1 << 28 });
    },
  };
  running.add(server);
  return server;
}

/** Stop every server this process started (safety net for failing tests, demo clean-up). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

// Never leave a mariadbd behind when this process exits, whatever the reason.
process.on('exit', () => {
  for (const s of running) if (s.pid) try { process.kill(s.pid, 'SIGKILL'); } catch { /* gone */ }
});
