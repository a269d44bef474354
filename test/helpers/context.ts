/**
 * A test context: unique databases on the shared source and target servers, a temp
 * DB_SYNC_HOME, and helpers to run the built CLI. One context owns setup and teardown.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import mysql from 'mysql2/promise';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/cli/main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let counter = 0;
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

export function serverPorts(): { source: number; target: number } {
  return { source: inject('sourcePort'), target: inject('targetPort') };
}

export async function rootConnection(port: number, database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: '127.0.0.1', port, user: 'root', database, multipleStatements: true, charset: 'utf8mb4_general_ci',
    supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, timezone: 'Z', jsonStrings: true,
  });
}

export interface TestContext {
  home: string;
  sourceDb: string;
  targetDb: string;
  ports: { source: number; target: number };
  source: mysql.Connection;
  target: mysql.Connection;
  env: NodeJS.ProcessEnv;
  cli(args: string[], opts?: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<CliResult>;
  /** Write a config with connections "src" and "dst" and, optionally, a pair "p". */
  writeConfig(extra?: { pair?: Record<string, unknown> | false; settings?: Record<string, unknown> }): void;
  close(): Promise<void>;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, opts: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env, cwd: opts.cwd ?? ROOT, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

export async function createContext(label = 't'): Promise<TestContext> {
  const ports = serverPorts();
  const sourceDb = uniqueName(`${label}_src`);
  const targetDb = uniqueName(`${label}_dst`);
  const home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-home-'));
  const source = await rootConnection(ports.source);
  const target = await rootConnection(ports.target);
  await source.query(`CREATE DATABASE \`${sourceDb}\``);
  await target.query(`CREATE DATABASE \`${targetDb}\``);
  await source.changeUser({ database: sourceDb });
  await target.changeUser({ database: targetDb });
  const env: NodeJS.ProcessEnv = { ...process.env, DB_SYNC_HOME: home, NO_COLOR: '1' };
  const ctx: TestContext = {
    home, sourceDb, targetDb, ports, source, target, env,
    cli: (args, opts = {}) => runCli(args, { ...env, ...(opts.env ?? {}) }, opts),
    writeConfig(extra = {}) {
      const config = {
        version: 1,
        settings: { pollInterval: 500, ...(extra.settings ?? {}) },
        connections: [
          { name: 'src', host: '127.0.0.1', port: ports.source, user: 'root', password: '', database: sourceDb },
          { name: 'dst', host: '127.0.0.1', port: ports.target, user: 'root', password: '', database: targetDb },
        ],
        syncPairs: extra.pair === false ? [] : [{ name: 'p', source: 'src', target: 'dst', ...(extra.pair ?? {}) }],
      };
      mkdirSync(home, { recursive: true });
      writeFileSync(path.join(home, 'config.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
    },
    async close() {
      await source.query(`DROP DATABASE IF EXISTS \`${sourceDb}\``).catch(() => undefined);
      await target.query(`DROP DATABASE IF EXISTS \`${targetDb}\``).catch(() => undefined);
      await source.end().catch(() => undefined);
      await target.end().catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
  return ctx;
}
