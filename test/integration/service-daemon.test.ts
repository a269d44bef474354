/**
 * The service as an operator drives it, through the built CLI: daemon start/status/stop/
 * restart, PID file rules, status --json, live enable/disable, logs and the health endpoint.
 * These hold whatever the engine does; the pair here points at the shared test servers.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createContext, CLI, type TestContext } from '../helpers/context.js';
import { freePort } from '../helpers/mariadb-server.js';
import { isProcessAlive as alive } from '../../src/daemon/pid-file.js';

let ctx: TestContext;
const pidFile = () => path.join(ctx.home, 'service.pid');
const statusJson = async () => JSON.parse((await ctx.cli(['status', '--json'])).stdout) as {
  service: Record<string, unknown> & { pid: number; running: boolean; stale: boolean };
  pairs: Array<Record<string, unknown> & { name: string; state: string; enabled: boolean }>;
};

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Add (live) a pair whose source database does not exist, wait until it is in error; returns its removal. */
async function addBrokenPair(): Promise<() => void> {
  const file = path.join(ctx.home, 'config.json');
  const good = readFileSync(file, 'utf8');
  const cfg = JSON.parse(good);
  cfg.connections.push({ ...cfg.connections[0], name: 'nodb', database: 'no_such_database_here' });
  cfg.syncPairs.push({ name: 'broken', source: 'nodb', target: 'dst' });
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  await until('broken to be in error', async () => (await statusJson()).pairs.find((p) => p.name === 'broken')?.state === 'error');
  return () => writeFileSync(file, good);
}

beforeAll(async () => {
  ctx = await createContext('svc');
  ctx.writeConfig({ settings: { retryDelay: 200, maxRetries: 1 } });
  const cfg = JSON.parse(readFileSync(path.join(ctx.home, 'config.json'), 'utf8'));
  cfg.syncPairs.push({ name: 'second', source: 'src', target: 'dst', enabled: false });
  writeFileSync(path.join(ctx.home, 'config.json'), JSON.stringify(cfg, null, 2));
});
afterAll(async () => {
  const pid = existsSync(pidFile()) ? Number(readFileSync(pidFile(), 'utf8')) : 0;
  if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  await ctx.close();
});

describe('service daemon through the built CLI', () => {
  it('starts in the background, refuses a second start naming the PID, reports status, restarts and stops', async () => {
    expect((await ctx.cli(['service', 'status'])).code).toBe(3);
    const start = await ctx.cli(['service', 'start', '--daemon']);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    const pid = Number(/PID (\d+)/.exec(start.stdout)?.[1]);
    expect(Number(readFileSync(pidFile(), 'utf8'))).toBe(pid);
    expect(alive(pid)).toBe(true);

    const second = await ctx.cli(['service', 'start', '--daemon']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`already running (PID ${pid})`);

    const st = await ctx.cli(['service', 'status']);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(new RegExp(`service running \\(PID ${pid}, up \\d+s\\)`));
    expect(st.stdout).toMatch(/second: disabled/);

    const restart = await ctx.cli(['service', 'restart']);
    expect(restart.code).toBe(0);
    const pid2 = Number(/service started \(PID (\d+)/.exec(restart.stdout)?.[1]);
    expect(pid2).not.toBe(pid);
    expect(alive(pid)).toBe(false);

    const stop = await ctx.cli(['service', 'stop']);
    expect(stop.stdout).toContain(`service stopped (PID ${pid2})`);
    expect(alive(pid2)).toBe(false);
    expect(existsSync(pidFile())).toBe(false);
    expect((await ctx.cli(['service', 'status'])).code).toBe(3);
    const after = await statusJson();
    expect(after.service).toMatchObject({ pid: pid2, running: false, stale: true });
    expect((await ctx.cli(['status'])).stdout).toContain('service not running; last known state from');
  });

  it('cleans up a stale PID file left by a process that is gone', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(pidFile(), `${dead.pid}\n`);
    expect((await ctx.cli(['service', 'status'])).code).toBe(3);
    expect(existsSync(pidFile())).toBe(false);
    writeFileSync(pidFile(), `${dead.pid}\n`);
    const start = await ctx.cli(['service', 'start', '--daemon']);
    expect(start.code).toBe(0);
    expect(Number(readFileSync(pidFile(), 'utf8'))).not.toBe(dead.pid);
    expect((await ctx.cli(['service', 'stop'])).code).toBe(0);
  });

  it('publishes every status field, applies enable/disable without a restart, and serves /healthz and /metrics on 127.0.0.1', async () => {
    const port = await freePort();
    expect((await ctx.cli(['service', 'start', '--daemon', '--metrics-port', String(port)])).code).toBe(0);
    try {
      const doc = await statusJson();
      expect(Object.keys(doc.service).sort()).toEqual(['configError', 'configFile', 'configLoadedAt', 'heldPairs',
        'logDir', 'maxPairs', 'metricsPort', 'pid', 'running', 'stale', 'startedAt', 'updatedAt', 'uptimeSec', 'version']);
      expect(doc.service).toMatchObject({ running: true, stale: false, metricsPort: port, configFile: path.join(ctx.home, 'config.json'), configError: null });
      expect(doc.pairs.map((p) => [p.name, p.enabled])).toEqual([['p', true], ['second', false]]);
      for (const p of doc.pairs) {
        expect(Object.keys(p)).toEqual(expect.arrayContaining(['name', 'enabled', 'state', 'mode', 'lagMs', 'lastError', 'nextRetryAt', 'snapshot',
          'position', 'eventsPerSec', 'rowsPerSec', 'totals', 'lastSchemaCheck', 'warnings', 'retryCount', 'errorsTotal',
          'updatedAt', 'standby']));
      }
      expect(doc.pairs[1]!.state).toBe('disabled');

      expect((await ctx.cli(['sync', 'enable', 'second'])).code).toBe(0);
      await until('second pair to start', async () => (await statusJson()).pairs[1]!.state !== 'disabled');
      expect((await ctx.cli(['sync', 'disable', 'p'])).code).toBe(0);
      const disabled = await until('p to be disabled', async () => {
        const d = await statusJson();
        return d.pairs[0]!.state === 'disabled' && d;
      });
      expect(disabled.pairs[0]!.enabled).toBe(false);

      // healthz: 200 while the enabled pair streams, 503 once an enabled pair is in error
      await until('second to stream', async () => (await statusJson()).pairs[1]!.state === 'streaming');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      const body = await health.json() as { status: string; pairs: Array<{ name: string; state: string }> };
      expect(body.pairs.map((p) => p.name)).toEqual(['second']);
      expect([health.status, body.status]).toEqual([200, 'ok']);
      const removeBroken = await addBrokenPair();
      const sick = await fetch(`http://127.0.0.1:${port}/healthz`);
      const sickBody = await sick.json() as { status: string; pairs: Array<{ name: string; state: string }> };
      expect([sick.status, sickBody.status]).toEqual([503, 'error']);
      expect(sickBody.pairs.find((p) => p.name === 'broken')?.state).toBe('error');
      removeBroken();
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/db_sync_pair_state\{pair="p",state="disabled"\} 1/);
      expect(metrics).toMatch(/db_sync_pair_errors_total\{pair="second"\} \d+/);
      expect(metrics).toContain('db_sync_process_resident_memory_bytes');
    } finally {
      expect((await ctx.cli(['service', 'stop'])).code).toBe(0);
      await ctx.cli(['sync', 'enable', 'p']);
      await ctx.cli(['sync', 'disable', 'second']);
    }
  });

  it('refuses an invalid config edit while running, keeps the old one, and says so in status', async () => {
    expect((await ctx.cli(['service', 'start', '--daemon'])).code).toBe(0);
    try {
      const file = path.join(ctx.home, 'config.json');
      const good = readFileSync(file, 'utf8');
      writeFileSync(file, '{ "version": 1, ');
      const doc = await until('the reload to be refused', async () => { const d = await statusJson(); return d.service.configError ? d : undefined; });
      expect(String(doc.service.configError)).toContain('malformed JSON');
      expect(doc.pairs[0]).toMatchObject({ name: 'p', enabled: true });
      writeFileSync(file, good);
      await until('the config error to clear', async () => (await statusJson()).service.configError === null);
    } finally {
      expect((await ctx.cli(['service', 'stop'])).code).toBe(0);
    }
  });

  it('logs at debug only with --log-level debug or after logLevel changes to debug while running', async () => {
    const combined = path.join(ctx.home, 'logs', 'combined.log');
    const debugLines = () => readFileSync(combined, 'utf8').trim().split('\n').filter((l) => (JSON.parse(l) as { level: number }).level === 20).length;
    const before = debugLines();
    expect((await ctx.cli(['service', 'start', '--daemon'])).code).toBe(0);
    expect((await ctx.cli(['service', 'stop'])).code).toBe(0);
    expect(debugLines()).toBe(before);
    expect((await ctx.cli(['service', 'start', '--daemon', '--log-level', 'debug'])).code).toBe(0);
    expect((await ctx.cli(['service', 'stop'])).code).toBe(0);
    const withFlag = debugLines();
    expect(withFlag).toBeGreaterThan(before);
    expect((await ctx.cli(['service', 'start', '--daemon'])).code).toBe(0);
    try {
      const cfg = JSON.parse(readFileSync(path.join(ctx.home, 'config.json'), 'utf8'));
      cfg.settings.logLevel = 'debug';
      writeFileSync(path.join(ctx.home, 'config.json'), JSON.stringify(cfg, null, 2));
      await until('a debug line after the reload', () => debugLines() > withFlag);
    } finally {
      expect((await ctx.cli(['service', 'stop'])).code).toBe(0);
    }
  });

  it('redraws the status table in place with status --watch until Ctrl-C', async () => {
    expect((await ctx.cli(['service', 'start', '--daemon'])).code).toBe(0);
    try {
      const child = spawn(process.execPath, [CLI, 'status', '--watch'], { env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      // The uptime changes between frames, so the service line is redrawn.
      await until('two frames', () => (out.match(/service running \(PID \d+, up/g) ?? []).length >= 2, 30_000);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toContain('refreshing every 2 s; Ctrl-C to quit');
      expect(out).toMatch(/\u001b\[\d*A/); // cursor up: the next frame overwrites the previous one
    } finally {
      expect((await ctx.cli(['service', 'stop'])).code).toBe(0);
    }
  });

  it('writes JSON lines to logs/combined.log and errors only to logs/error.log, without passwords', async () => {
    expect((await ctx.cli(['service', 'start', '--daemon'])).code).toBe(0);
    try {
      (await addBrokenPair())();
    } finally {
      expect((await ctx.cli(['service', 'stop'])).code).toBe(0);
    }
    const logDir = path.join(ctx.home, 'logs');
    const combined = readFileSync(path.join(logDir, 'combined.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(combined.some((l) => l.msg === 'service started')).toBe(true);
    expect(combined.every((l) => typeof l.time === 'string' && typeof l.level === 'number')).toBe(true);
    const errors = readFileSync(path.join(logDir, 'error.log'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });
    // The pair 'broken' failed: error.log has its lines, and only error lines.
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((l) => l.level >= 50)).toBe(true);
    expect(combined.filter((l) => Number(l.level) >= 50).length).toBe(errors.length);
    expect(readFileSync(path.join(logDir, 'combined.log'), 'utf8')).not.toMatch(/"password":"[^[]/);
  });
});
