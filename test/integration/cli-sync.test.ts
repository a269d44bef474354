import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createContext, ROOT, CLI, type TestContext } from '../helpers/context.js';
import { spawnPty, KEYS } from '../helpers/pty.js';

let ctx: TestContext;
const configText = () => readFileSync(path.join(ctx.home, 'config.json'), 'utf8');
const pairs = async () => JSON.parse((await ctx.cli(['sync', 'list', '--json'])).stdout) as Array<Record<string, unknown>>;

beforeAll(async () => {
  ctx = await createContext('synccli');
  ctx.writeConfig({ pair: false });
  const same = await ctx.cli(['connection', 'add', '--name', 'src2', '--host', 'localhost', '--port', String(ctx.ports.source), '--user', 'root', '--no-password', '--database', ctx.sourceDb]);
  expect(same.code).toBe(0);
});
afterAll(async () => ctx.close());

describe('sync pair commands through the built CLI', () => {
  it('adds, shows, edits, disables, enables and removes a pair', async () => {
    const add = await ctx.cli(['sync', 'add', '--name', 'shop', '--source', 'src', '--target', 'dst', '--no-routines', '--include', 'orders*', '--include', 'customers', '--exclude', 'tmp_*', '--mode', 'binlog']);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(await pairs()).toEqual([expect.objectContaining({
      name: 'shop', source: 'src', target: 'dst', enabled: true, schema: true, data: true, routines: false,
      include: ['orders*', 'customers'], exclude: ['tmp_*'], mode: 'binlog', allowDestructive: false,
    })]);
    const show = await ctx.cli(['sync', 'show', 'shop', '--json']);
    expect(JSON.parse(show.stdout).name).toBe('shop');

    expect((await ctx.cli(['sync', 'edit', 'shop', '--allow-destructive', '--routines'])).code).toBe(0);
    expect((await pairs())[0]).toMatchObject({ allowDestructive: true, routines: true, include: ['orders*', 'customers'], mode: 'binlog' });

    expect((await ctx.cli(['sync', 'disable', 'shop'])).code).toBe(0);
    expect((await pairs())[0]!.enabled).toBe(false);
    const list = await ctx.cli(['sync', 'list']);
    expect(list.stdout).toMatch(/shop.*src -> dst.*disabled/);
    expect((await ctx.cli(['sync', 'enable', 'shop'])).code).toBe(0);
    expect((await pairs())[0]!.enabled).toBe(true);

    const inUse = await ctx.cli(['connection', 'remove', 'dst']);
    expect(inUse.code).not.toBe(0);
    expect(inUse.stderr).toContain('connection "dst" is used by sync pair "shop"');

    expect((await ctx.cli(['sync', 'remove', 'shop'])).code).toBe(0);
    expect(await pairs()).toEqual([]);
  });

  it('validates pairs with clear errors and leaves config.json unchanged', async () => {
    expect((await ctx.cli(['sync', 'add', '--name', 'keep', '--source', 'src', '--target', 'dst'])).code).toBe(0);
    const before = configText();
    const cases: Array<[string[], RegExp]> = [
      [['sync', 'add', '--name', 'x', '--source', 'nope', '--target', 'dst'], /unknown connection "nope"/],
      [['sync', 'add', '--name', 'x', '--source', 'src', '--target', 'src2'], /source "src" and target "src2" are the same database/],
      [['sync', 'add', '--name', 'keep', '--source', 'src', '--target', 'dst'], /a sync pair named "keep" already exists/],
      [['sync', 'add', '--name', 'x', '--source', 'src', '--target', 'dst', '--exclude', 'logs['], /invalid table pattern "logs\["/],
      [['sync', 'add', '--name', 'x', '--source', 'src', '--target', 'dst', '--mode', 'sometimes'], /mode: /],
      [['sync', 'add', '--name', 'x'], /missing required flags: --source, --target/],
      [['sync', 'enable', 'nope'], /unknown sync pair "nope"/],
      [['sync', 'edit', 'keep', '--target', 'src'], /are the same database/],
    ];
    for (const [args, message] of cases) {
      const r = await ctx.cli(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(configText()).toBe(before);
    await ctx.cli(['sync', 'remove', 'keep']);
  });

  it('asks for source, target and what to sync on a terminal', async () => {
    const pty = spawnPty([process.execPath, CLI, 'sync', 'add'], ctx.env, ROOT);
    await pty.expect('Pair name:');
    pty.write(`fromprompt${KEYS.enter}`);
    await pty.expect('Source connection:');
    pty.write(KEYS.enter); // first connection: src
    await pty.expect('Target connection:');
    pty.write(KEYS.enter); // first remaining: dst
    await pty.expect('What to sync:');
    pty.write(`${KEYS.down}${KEYS.space}${KEYS.enter}`); // untick "data"
    expect(await pty.exit()).toBe(0);
    expect((await pairs()).find((p) => p.name === 'fromprompt')).toMatchObject({ source: 'src', target: 'dst', schema: true, data: false, routines: true });
  });

  it('shows and changes settings with validation', async () => {
    const show = JSON.parse((await ctx.cli(['settings', 'show', '--json'])).stdout);
    expect(show).toMatchObject({ pollInterval: 500, schemaCheckInterval: 300000, logLevel: 'info', maxRetries: 3, retryDelay: 5000 });
    expect((await ctx.cli(['settings', 'set', 'logLevel=debug', 'retryDelay=1000'])).code).toBe(0);
    expect(JSON.parse((await ctx.cli(['settings', '--json'])).stdout)).toMatchObject({ logLevel: 'debug', retryDelay: 1000 });
    const bad = await ctx.cli(['settings', 'set', 'logLevel=loud']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('settings.logLevel');
    const unknown = await ctx.cli(['settings', 'set', 'color=blue']);
    expect(unknown.stderr).toContain('unknown setting "color"');
  });
});
