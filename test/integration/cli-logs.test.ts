/**
 * `db-sync logs`: a readable view of logs/combined.log and its rotated files, filters, --json,
 * --follow across a rotation, colour only on a terminal without NO_COLOR, and a clear message
 * when there is no log folder. The lines come from a real service run and from the real logger.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext, CLI, ROOT, type TestContext } from '../helpers/context.js';
import { spawnPty } from '../helpers/pty.js';
import { startService, waitForPair } from './service-helpers.js';
import { createLogger } from '../../src/core/log.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createContext('logs');
  await ctx.source.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))');
  await ctx.source.query("INSERT INTO t VALUES (1, 'a'), (2, 'b')");
});
afterAll(async () => { await ctx.close(); });

const home = () => ({ DB_SYNC_HOME: ctx.home });
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[\d+m/;

describe('db-sync logs', () => {
  it('says clearly that there is no log folder yet', async () => {
    const r = await ctx.cli(['logs']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: no log folder at ${path.join(ctx.home, 'logs')}`);
    expect(r.stderr).toContain('hint: The service writes its logs there once it has run');
  });

  it('shows a real service run readably, filtered by pair and level, and as JSON', async () => {
    ctx.writeConfig();
    const svc = startService(ctx.home);
    try {
      await waitForPair(ctx.home, 'p', 'streaming', (p) => p.state === 'streaming');
    } finally {
      await svc.terminate();
    }
    const all = await ctx.cli(['logs', '--lines', 'all']);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z\] INFO: /m);
    expect(all.stdout).toMatch(/^\[[^\]]+\] INFO: \[p\] /m);
    expect(all.stdout).not.toMatch(ANSI);
    const pairOnly = (await ctx.cli(['logs', '--pair', 'p', '--lines', 'all'])).stdout.trim().split('\n');
    expect(pairOnly.length).toBeGreaterThan(1);
    for (const l of pairOnly) expect(l).toMatch(/^\[[^\]]+\] [A-Z]+: \[p\] /);
    const json = (await ctx.cli(['logs', '--json', '--lines', '3'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json).toHaveLength(3);
    expect(json.at(-1)).toMatchObject({ level: expect.any(Number), msg: expect.any(String) });
    const warn = await ctx.cli(['logs', '--level', 'warn', '--json', '--lines', 'all']);
    for (const l of warn.stdout.trim().split('\n').filter(Boolean)) expect(JSON.parse(l).level).toBeGreaterThanOrEqual(40);
    const bad = await ctx.cli(['logs', '--level', 'loud']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--level must be one of');
  });

  it('reads rotated files oldest first and follows the live file across a rotation', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'db-sync-logs-rot-'));
    try {
      const logDir = path.join(dir, 'logs');
      const logger = createLogger({ level: 'info', logDir, rotateSize: 2048, files: 3 });
      for (let i = 0; i < 40; i += 1) logger.info({ i, pad: 'x'.repeat(40) }, 'before');
      const env = { ...ctx.env, DB_SYNC_HOME: dir };
      const before = (await ctx.cli(['logs', '--json', '--lines', 'all'], { env })).stdout.trim().split('\n').map((l) => JSON.parse(l).i as number);
      expect(before.length).toBeGreaterThan(20); // three rotated files and the live one
      expect(before).toEqual([...before].sort((a, b) => a - b));
      expect(before.at(-1)).toBe(39);

      const child = spawn(process.execPath, [CLI, 'logs', '--follow', '--json', '--lines', '0'], { env, cwd: ROOT });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      await new Promise<void>((resolve) => child.stderr.once('data', () => resolve())); // "following ..."
      for (let i = 100; i < 160; i += 1) {
        logger.info({ i, pad: 'y'.repeat(40) }, 'during'); // rotates every ~20 lines
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 150));
      }
      await new Promise((r) => setTimeout(r, 800));
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      const seen = out.trim().split('\n').map((l) => JSON.parse(l).i as number);
      expect(seen).toEqual(Array.from({ length: 60 }, (_, k) => 100 + k));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('colours the level on a terminal, and not when NO_COLOR is set', async () => {
    const env: NodeJS.ProcessEnv = { ...ctx.env, ...home() };
    delete env.NO_COLOR;
    const tty = spawnPty([process.execPath, CLI, 'logs', '--lines', '5'], env, ROOT);
    expect(await tty.exit()).toBe(0);
    const raw = spawnPty([process.execPath, CLI, 'logs', '--lines', '5'], { ...env, NO_COLOR: '1' }, ROOT);
    expect(await raw.exit()).toBe(0);
    expect(tty.raw()).toMatch(ANSI);
    expect(raw.raw()).not.toMatch(ANSI);
    expect(raw.output()).toMatch(/INFO: /);
  });
});
