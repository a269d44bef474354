/**
 * The product README's command forms, typed exactly as it shows them (`npm run cli <command>
 * --flag`, no `--`), through real npm in the repository: each does what its flag says.
 * Without the flag recovery `service start --daemon` would run in the foreground (and time out
 * here), `status --watch` would print once and `status --json` would print a table.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createContext, ROOT, type TestContext } from '../helpers/context.js';
import { runNpm } from '../helpers/npm.js';
import { isProcessAlive } from '../../src/daemon/pid-file.js';

let ctx: TestContext;
const npm = (args: string[], opts: { timeoutMs?: number; signalAfterMs?: number } = {}) =>
  runNpm(['run', 'cli', ...args], { cwd: ROOT, env: ctx.env, timeoutMs: opts.timeoutMs ?? 60_000, signalAfterMs: opts.signalAfterMs });
const config = () => JSON.parse(readFileSync(path.join(ctx.home, 'config.json'), 'utf8'));
const pidFile = () => path.join(ctx.home, 'service.pid');

beforeAll(async () => {
  ctx = await createContext('npmforms');
  await ctx.source.query('CREATE TABLE t (id INT PRIMARY KEY)');
  ctx.writeConfig();
});
afterAll(async () => {
  const pid = existsSync(pidFile()) ? Number(readFileSync(pidFile(), 'utf8')) : 0;
  if (pid && isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  await ctx.close();
});

describe('the original README\'s `npm run cli ...` forms, verbatim', () => {
  it('connection and sync pair management', async () => {
    const list = await npm(['connection', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/src .*127\.0\.0\.1:\d+/);
    const test = await npm(['connection', 'test', 'src']);
    expect(test.code).toBe(0);
    expect(test.stdout).toContain('connection "src": connected');
    expect((await npm(['sync', 'list'])).stdout).toMatch(/│ p +│ src -> dst/);
    expect((await npm(['sync', 'disable', 'p'])).stdout).toContain('sync pair "p" disabled');
    expect(config().syncPairs[0].enabled).toBe(false);
    expect((await npm(['sync', 'enable', 'p'])).stdout).toContain('sync pair "p" enabled');
    expect(config().syncPairs[0].enabled).toBe(true);
    // The interactive forms: without a terminal they name the flags to pass.
    for (const cmd of [['connection', 'add'], ['sync', 'add']]) {
      const r = await npm(cmd);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${cmd.join(' ')}: missing required`);
    }
  });

  it('service start (foreground) runs until Ctrl-C', async () => {
    const r = await npm(['service', 'start'], { signalAfterMs: 5_000 });
    const pid = Number(/service running \(PID (\d+)\); Ctrl-C stops it/.exec(r.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    // npm itself ends on the signal; the service stops gracefully and removes its PID file.
    for (let i = 0; i < 100 && isProcessAlive(pid); i += 1) await new Promise((res) => setTimeout(res, 100));
    expect(isProcessAlive(pid)).toBe(false);
    expect(existsSync(pidFile())).toBe(false);
  });

  it('service start --daemon detaches; status, status --watch, status --json, restart and stop', async () => {
    const start = await npm(['service', 'start', '--daemon'], { timeoutMs: 40_000 });
    expect(start.code).toBe(0);
    const pid = Number(/service started \(PID (\d+)\)/.exec(start.stdout)?.[1]);
    expect(isProcessAlive(pid)).toBe(true);
    const st = await npm(['service', 'status']);
    expect(st.code).toBe(0);
    expect(st.stdout).toContain(`service running (PID ${pid}`);
    expect((await npm(['status'])).stdout).toMatch(/PAIR +│ STATE/);

    const json = await npm(['status', '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { service: { pid: number }; pairs: Array<{ name: string }> };
    expect(doc.service.pid).toBe(pid);
    expect(doc.pairs.map((p) => p.name)).toEqual(['p']);

    // npm and the CLI can take seconds to start on a loaded machine: leave room for two refreshes
    const watch = await npm(['status', '--watch'], { signalAfterMs: 10_000 });
    expect(watch.stdout.match(/refreshing every 2 s; Ctrl-C to quit/g)?.length ?? 0).toBeGreaterThanOrEqual(2);

    const restart = await npm(['service', 'restart'], { timeoutMs: 60_000 });
    expect(restart.code).toBe(0);
    const pid2 = Number(/service started \(PID (\d+)\)/.exec(restart.stdout)?.[1]);
    expect(pid2).not.toBe(pid);
    const stop = await npm(['service', 'stop']);
    expect(stop.stdout).toContain(`service stopped (PID ${pid2})`);
    expect((await npm(['service', 'status'])).code).toBe(3);
  });

  it('our own forms: a flag with its value, negated flags, an npm-colliding flag, and the refusal', async () => {
    const logs = await npm(['logs', '--pair', 'p', '--lines', 'all']); // two flags with values: refused
    expect(logs.code).toBe(1);
    expect(logs.stderr).toContain('error: npm kept --pair, --lines for itself and passed the values "p", "all" on as plain words');
    expect(logs.stderr).toContain('hint: Put -- after the script name so npm passes every word on unchanged: npm run cli -- logs --pair <value> --lines <value>');
    const one = await npm(['logs', '--pair', 'p']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^\[[^\]]+\] INFO: \[p\] /m);
    const edit = await npm(['sync', 'edit', 'p', '--no-routines', '--allow-destructive']);
    expect(edit.code).toBe(0);
    expect(config().syncPairs[0]).toMatchObject({ routines: false, allowDestructive: true });
    const dry = await npm(['cutover', 'p', '--dry-run']);
    expect(dry.stdout).toContain('dry run: nothing was changed.');
    const before = readFileSync(path.join(ctx.home, 'config.json'), 'utf8');
    const add = await npm(['connection', 'add', '--name', 'x', '--host', 'h1', '--user', 'u', '--password-env', 'PW', '--database', 'd']);
    expect(add.code).toBe(1);
    expect(add.stderr).toContain('npm run cli -- connection add --name x --host <value> --user <value> --password-env <value> --database <value>');
    expect(readFileSync(path.join(ctx.home, 'config.json'), 'utf8')).toBe(before);
  });
});
