/**
 * Lowering settings.maxPairs while the service runs: the pairs it holds beyond the new cap
 * (the last in config order) give their locks up at once and stand by; another runner can then
 * take them. Raising it again runs them again, without a restart of the service. Three
 * schema-only pairs keep it cheap: they hold the pair lock like every pair.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { copyTableDefs } from '../helpers/data-fixtures.js';
import { readStatus, startService, waitForPair, writeServiceConfig, type RunningService } from './service-helpers.js';

const PAIRS = ['a', 'b', 'c'];
let ctx: TestContext;
let service: RunningService | undefined;

beforeEach(async () => {
  ctx = await createContext('maxlower');
  await ctx.source.query('CREATE TABLE t (id INT PRIMARY KEY)');
  await copyTableDefs(ctx, ['t']); // the three pairs' schema steps then agree there is nothing to do
  const ends = { source: { port: ctx.ports.source, database: ctx.sourceDb },
    target: { port: ctx.ports.target, database: ctx.targetDb } };
  writeServiceConfig(ctx.home, PAIRS.map((name) => ({ name, ...ends,
    options: { data: false, schema: true, routines: false } })));
});

afterEach(async () => {
  await service?.terminate('SIGKILL');
  await ctx.close();
});

const running = (name: string) => waitForPair(ctx.home, name, 'running', (p) => p.state === 'streaming', 30_000);
const full = (name: string, max: number) => waitForPair(ctx.home, name, `standby for maxPairs = ${max}`,
  (p) => p.state === 'standby' && p.standby?.note === `free, but this service already holds maxPairs = ${max} pairs`,
  30_000);

describe('maxPairs lowered at runtime', () => {
  it('releases the pairs held beyond it, and takes them again when raised', async () => {
    service = startService(ctx.home);
    for (const p of PAIRS) await running(p);
    expect(readStatus(ctx.home)!.service.heldPairs).toBe(3);

    const t0 = Date.now();
    const set = await ctx.cli(['settings', 'set', 'maxPairs=1']);
    expect(set.code, set.stderr).toBe(0);
    await full('b', 1);
    await full('c', 1);
    console.log(`pairs b and c stood by ${Date.now() - t0} ms after maxPairs=1 was set`);
    expect(readStatus(ctx.home)!.pairs.find((p) => p.name === 'a')!.state).toBe('streaming');
    expect(readStatus(ctx.home)!.service).toMatchObject({ maxPairs: 1, heldPairs: 1 });
    // their locks are free for another runner indeed, while "a" stays held
    const other = await ctx.cli(['sync', 'run', 'c', '--once']);
    expect(other.code, other.stdout + other.stderr).toBe(0);
    const refused = await ctx.cli(['sync', 'run', 'a', '--once']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('pair "a" is already being synced by');

    expect((await ctx.cli(['settings', 'set', 'maxPairs=3'])).code).toBe(0);
    for (const p of PAIRS) await running(p);
    await waitForPair(ctx.home, 'a', 'all held', () => readStatus(ctx.home)!.service.heldPairs === 3);
    expect(service.child.exitCode).toBeNull();
  });
});
