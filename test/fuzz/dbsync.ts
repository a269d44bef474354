/**
 * db-sync as a user runs it: configured through the built CLI in its own working directory
 * (.db-sync/ there), and `sync run` as a child process, so kill -9 is real. With kills, each
 * incarnation gets the next entry of a seeded schedule: a crash point
 * (DB_SYNC_CRASH_POINT=name:N, the process kills itself at exactly that instant) or a
 * wall-clock kill -9 after T ms (often during the snapshot).
 * With several pairs (one per source database, `--pairs K`) it runs them all in ONE
 * `service start` foreground child, so they share the binlog reader (binlog-hub.ts); the
 * kills hit that process, and a crash point fires in whichever pair reaches it first.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/context.js';
import type { TestServer } from '../helpers/mariadb-server.js';
import { pairLockName } from '../../src/core/data/runner-lock.js';
import { Rng } from './prng.js';
import { FUZZ_DB } from './workload.js';

export const PAIR = 'fz';

/**
 * crash: a crash point; clock: kill -9 after afterMs; freeze: SIGSTOP after afterMs, a second
 * runner started once the target has dropped the frozen one's session (its lock is free), and
 * the frozen one woken (SIGCONT) thawMs after that: two runners of one pair, the first one
 * waking up with loaders mid-chunk and a view of the source older than the second's.
 */
export type KillPlan = { kind: 'crash'; point: string } | { kind: 'clock'; afterMs: number }
  | { kind: 'freeze'; afterMs: number; thawMs: number } | { kind: 'none' };

/** The seeded kill schedule: the plan of incarnation k is the k-th draw. */
export function killSchedule(seed: number, maxKills: number, ddl: boolean, service = false): KillPlan[] {
  const r = Rng.derive(seed, 'kills');
  return Array.from({ length: maxKills }, () => r.weighted<() => KillPlan>([
    [3, () => ({ kind: 'crash', point: `stream.after-commit:${r.int(1, 400)}` })],
    [2, () => ({ kind: 'crash', point: `stream.before-commit:${r.int(1, 400)}` })],
    [ddl ? 2 : 0, () => ({ kind: 'crash', point: `stream.after-ddl:${r.int(1, 12)}` })],
    [2, () => ({ kind: 'crash', point: `snapshot.after-chunk-commit:${r.int(1, 25)}` })],
    [1, () => ({ kind: 'crash', point: `snapshot.before-chunk-commit:${r.int(1, 25)}` })],
    [3, () => ({ kind: 'clock', afterMs: r.int(300, 8000) })],
    // a second `service start` in the same folder refuses while the first one's process lives
    [service ? 0 : 1, () => ({ kind: 'freeze', afterMs: r.int(300, 8000), thawMs: r.int(200, 4000) })],
  ])());
}

/**
 * The run's own copy of the build (dist/, package.json, node_modules linked): rebuilding the
 * worktree during a long run must not change the program that restarts after a kill.
 */
function snapshotBuild(home: string): string {
  cpSync(path.join(ROOT, 'dist'), path.join(home, 'app', 'dist'), { recursive: true });
  copyFileSync(path.join(ROOT, 'package.json'), path.join(home, 'app', 'package.json'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(home, 'app', 'node_modules'));
  return path.join(home, 'app', 'dist', 'cli', 'main.js');
}

function cli(home: string, cliPath: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const opts = { cwd: home, env: cleanEnv(), timeout: 60_000 };
    execFile(process.execPath, [cliPath, ...args], opts, (err, stdout, stderr) => {
      if (err) reject(new Error(`db-sync ${args.join(' ')} failed: ${stderr || String(err)}`));
      else resolve(stdout);
    });
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.DB_SYNC_HOME;
  delete env.DB_SYNC_CRASH_POINT;
  return env;
}

export class DbSync {
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-fuzz-home-'));
  readonly logFile = path.join(this.home, 'sync-run.log');
  private readonly cli = snapshotBuild(this.home);
  kills = 0;
  /** Runners frozen, then woken after another one took the pair over (KillPlan freeze). */
  freezes = 0;
  private target: TestServer | null = null;
  /** Frozen or woken runners that are no longer the current one (killed at stop). */
  private readonly retired = new Set<ChildProcess>();
  /** Set when db-sync stopped by itself with an error (a loud stop): its last output. */
  loudStop: string | null = null;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private incarnation = 0;
  private final = false;
  private stopped = false;
  private clock: NodeJS.Timeout | null = null;

  /** Per pair (service mode), every binlogReader value `status --json` showed for it. */
  readonly readers = new Map<string, Set<string>>();
  private poll: NodeJS.Timeout | null = null;

  /**
   * dbs: one database and pair (named PAIR, `sync run`), or several: pair and database named
   * alike (fz1, fz2, ...), all run by one `service start`.
   */
  constructor(private readonly schedule: KillPlan[], readonly dbs: string[] = [FUZZ_DB]) {}

  get service(): boolean {
    return this.dbs.length > 1;
  }

  /** The pair that syncs database db. */
  pairOf(db: string): string {
    return this.service ? db : PAIR;
  }

  async configure(source: TestServer, target: TestServer): Promise<void> {
    this.target = target;
    const run = (args: string[]) => cli(this.home, this.cli, args);
    for (const db of this.dbs) {
      const suffix = this.service ? `-${db}` : '';
      for (const [name, port] of [[`src${suffix}`, source.port], [`dst${suffix}`, target.port]] as const) {
        await run(['connection', 'add', '--name', name, '--host', '127.0.0.1', '--port', String(port),
          '--user', 'root', '--no-password', '--database', db]);
      }
      await run(['sync', 'add', '--name', this.pairOf(db), '--source', `src${suffix}`, '--target', `dst${suffix}`,
        '--mode', 'binlog']);
    }
    await run(['settings', 'set', 'retryDelay=500', 'maxRetries=5']);
  }

  /** `status --json` of the running service (service mode). */
  async status(): Promise<{ pairs: Array<{ name: string; state: string; binlogReader: string | null;
    lastError: unknown }> }> {
    return JSON.parse(await cli(this.home, this.cli, ['status', '--json'])) as never;
  }

  /**
   * Service mode: every few seconds, note where each pair reads (binlogReader) and take a pair
   * in state 'error' (not retryable: what ends `sync run`) as a loud stop.
   */
  private watchStatus(): void {
    if (!this.service || this.poll) return;
    const tick = async () => {
      try {
        if (this.child) {
          for (const p of (await this.status()).pairs) {
            const seen = this.readers.get(p.name) ?? new Set<string>();
            seen.add(String(p.binlogReader));
            this.readers.set(p.name, seen);
            if (p.state === 'error' && !this.loudStop) {
              this.loudStop = `pair ${p.name} in state error: ${JSON.stringify(p.lastError)}\n${tail(this.logFile)}`;
            }
          }
        }
      } catch {
        // the service is being killed or restarted: next tick
      }
      if (!this.stopped) this.poll = setTimeout(() => void tick(), 3000);
    };
    this.poll = setTimeout(() => void tick(), 3000);
  }

  /**
   * Where each pair read: the binlogReader values `status --json` showed, and how often the
   * service log says it switched to the shared reader and off it ("fz1=own,shared 6 on/5 off ...");
   * allShared: every pair was on the shared reader at least once.
   */
  readerSummary(): { line: string; allShared: boolean } {
    const on = new Map<string, number>();
    const off = new Map<string, number>();
    for (const text of readFileSync(this.logFile, 'utf8').split('\n')) {
      if (!text.startsWith('{')) continue;
      let e: { pair?: string; msg?: string };
      try { e = JSON.parse(text) as typeof e; } catch { continue; }
      if (!e.pair || !e.msg) continue;
      if (e.msg.startsWith('binlog: switched to the reader shared')) on.set(e.pair, (on.get(e.pair) ?? 0) + 1);
      if (e.msg.startsWith('binlog: the target is behind')) off.set(e.pair, (off.get(e.pair) ?? 0) + 1);
    }
    const line = this.dbs.map((db) => `${db}=${[...(this.readers.get(db) ?? [])].filter((v) => v !== 'null').sort()
      .join(',') || '?'} ${on.get(db) ?? 0} on/${off.get(db) ?? 0} off`).join('; ');
    const allShared = this.dbs.every((db) => this.readers.get(db)?.has('shared') || (on.get(db) ?? 0) > 0);
    return { line, allShared };
  }

  /** Start (or restart) `sync run`: with the next kill of the schedule unless the run is finishing. */
  start(unkilled = false): void {
    const plan: KillPlan = this.final || unkilled ? { kind: 'none' }
      : this.schedule[this.incarnation] ?? { kind: 'none' };
    this.incarnation++;
    const env = cleanEnv();
    env.DB_SYNC_SNAPSHOT_CHUNK_ROWS = '300';
    if (plan.kind === 'crash') env.DB_SYNC_CRASH_POINT = plan.point;
    const at = new Date().toISOString();
    appendFileSync(this.logFile, `\n=== incarnation ${this.incarnation} kill plan ${JSON.stringify(plan)} at ${at}\n`);
    const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
    const args = this.service ? ['service', 'start'] : ['sync', 'run', PAIR];
    const child = spawn(process.execPath, [this.cli, ...args], { cwd: this.home, env, stdio });
    this.watchStatus();
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => appendFileSync(this.logFile, d));
    child.stderr?.on('data', (d: Buffer) => appendFileSync(this.logFile, d));
    if (plan.kind === 'clock') this.clock = setTimeout(() => child.kill('SIGKILL'), plan.afterMs);
    if (plan.kind === 'freeze') this.clock = setTimeout(() => void this.freeze(child, plan.thawMs), plan.afterMs);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      if (this.retired.has(child)) {
        // a runner that was frozen: it must stop (its lock is gone); what it wrote, the verdict judges
        this.retired.delete(child);
        appendFileSync(this.logFile, `\n=== frozen runner ${child.pid} exited: ${signal ?? code}\n`);
        return resolve();
      }
      if (this.clock) clearTimeout(this.clock);
      this.child = null;
      if (signal === 'SIGKILL') {
        this.kills++;
        setTimeout(() => { if (!this.loudStop && !this.stopped) this.start(); resolve(); }, 300);
        return;
      }
      if (signal !== 'SIGTERM' && code !== 0) this.loudStop = tail(this.logFile);
      resolve();
    }));
  }

  /**
   * Freeze the current runner, start the next one once the target has dropped the frozen
   * one's apply session (`sync run` does not stand by), and wake the frozen one `thawMs` after
   * that. The woken one finds its lock gone and ends (PAIR_LOCK_LOST, then PAIR_LOCKED).
   */
  private async freeze(child: ChildProcess, thawMs: number): Promise<void> {
    if (this.child !== child || this.stopped) return;
    child.kill('SIGSTOP');
    this.retired.add(child);
    this.child = null;
    this.freezes++;
    appendFileSync(this.logFile, `\n=== froze runner ${child.pid} at ${new Date().toISOString()}\n`);
    const free = this.dbs.map((db) => `IS_FREE_LOCK('${pairLockName(db, this.pairOf(db))}')`).join(' AND ');
    for (const t0 = Date.now(); Date.now() - t0 < 30_000 && this.target?.sql(`SELECT ${free}`).trim() !== '1';) {
      await new Promise((r) => setTimeout(r, 250));
    }
    // not killed itself: a runner killed while the woken one retries could hand the lock back to it
    if (!this.stopped) this.start(true);
    setTimeout(() => {
      appendFileSync(this.logFile, `\n=== woke runner ${child.pid} at ${new Date().toISOString()}\n`);
      child.kill('SIGCONT');
    }, thawMs);
  }

  /** No more planned kills (the catch-up of the end of the run); a pending crash point may still fire once. */
  finish(): void {
    this.final = true;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async stop(): Promise<void> {
    this.final = true;
    this.stopped = true;
    if (this.poll) clearTimeout(this.poll);
    for (let c = this.child; c; c = this.child) {
      c.kill('SIGTERM');
      await this.exited;
    }
    await this.exited;
    for (const c of this.retired) {
      c.kill('SIGKILL');
      c.kill('SIGCONT');
    }
  }

  cleanUp(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

function tail(file: string): string {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return lines.slice(-8).join('\n');
}
