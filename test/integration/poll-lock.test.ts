/**
 * One runner per pair also for pairs without a binlog stream: a polling pair and a
 * schema-only pair take the pair's lock on the target like binlog pairs. With a service
 * holding them, `sync run` of either fails with PAIR_LOCKED naming the holder, and a second
 * service (another config folder with the same pairs, as on another host) stands by, shows
 * who holds them, and takes them over after the holder is killed -9; the target then ends
 * equal to the source (CHECKSUM TABLE) with writes before and after the kill.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { createContext, rootConnection, runCli, type TestContext } from '../helpers/context.js';
import { copyTableDefs } from '../helpers/data-fixtures.js';
import { startService, waitForPair, writeServiceConfig, type RunningService } from './service-helpers.js';
import { EVENTS_DDL, waitChecksumsEqual, writeLoad } from './standby-helpers.js';

let ctx: TestContext;
let homes: string[];
let services: RunningService[];
let loadDb: mysql.Connection;

beforeEach(async () => {
  ctx = await createContext('polllock');
  homes = [ctx.home, mkdtempSync(path.join(os.tmpdir(), 'db-sync-polllock-'))];
  services = [];
  await ctx.source.query(EVENTS_DDL);
  await copyTableDefs(ctx, ['events']);
  loadDb = await rootConnection(ctx.ports.source, ctx.sourceDb);
});

afterEach(async () => {
  for (const s of services) await s.terminate('SIGKILL');
  await loadDb.end();
  await ctx.close();
  rmSync(homes[1]!, { recursive: true, force: true });
});

/** "p" polls the rows (reconciliation every second); "s" only keeps the schema in sync. */
function configure(i: number): void {
  const ends = { source: { port: ctx.ports.source, database: ctx.sourceDb },
    target: { port: ctx.ports.target, database: ctx.targetDb } };
  writeServiceConfig(homes[i]!, [
    { name: 'p', ...ends, options: { mode: 'poll', schema: false, routines: false, reconcileInterval: 1000 } },
    { name: 's', ...ends, options: { data: false, schema: true, routines: false } },
  ]);
}

function start(i: number): RunningService {
  const s = startService(homes[i]!);
  services.push(s);
  return s;
}

const running = { p: 'polling', s: 'streaming' } as const;

describe('polling and schema-only pairs hold the pair lock', () => {
  it('refuse a second runner, stand by in a second service, and are taken over after a kill -9', async () => {
    configure(0);
    configure(1);
    const holder = start(0);
    for (const [name, state] of Object.entries(running)) {
      await waitForPair(homes[0]!, name, state, (p) => p.state === state);
    }
    const load = writeLoad(loadDb, 20);
    try {
      for (const name of Object.keys(running)) {
        const r = await runCli(['sync', 'run', name, '--once'], { ...ctx.env, DB_SYNC_HOME: homes[1] },
          { timeoutMs: 60_000 });
        expect(r.code, `${name}: ${r.stdout}${r.stderr}`).not.toBe(0);
        const locked = `pair "${name}" is already being synced by .* \\(pid ${holder.child.pid}\\)`;
        expect(r.stderr).toMatch(new RegExp(locked));
      }
      start(1);
      for (const name of Object.keys(running)) {
        const standing = await waitForPair(homes[1]!, name, `standby held by ${holder.child.pid}`,
          (p) => p.state === 'standby' && p.standby?.holder?.pid === holder.child.pid);
        expect(standing.standby!.note).toMatch(new RegExp(`^held by .*:${holder.child.pid} since 20`));
      }
      await waitForPair(homes[0]!, 'p', 'applying', (p) => p.totals.rows > 0);

      const exited = new Promise((r) => holder.child.once('exit', r));
      const t0 = Date.now();
      holder.child.kill('SIGKILL');
      await exited;
      for (const [name, state] of Object.entries(running)) {
        await waitForPair(homes[1]!, name, state, (p) => p.state === state, 20_000);
        console.log(`pair ${name}: the standby runs it ${Date.now() - t0} ms after the kill -9`);
      }
      // the new holder applies the writes made after the takeover too
      await waitForPair(homes[1]!, 'p', 'applying', (p) => p.totals.rows > 0, 30_000);
    } finally {
      console.log(`${await load.stop()} source transactions`);
    }
    await waitChecksumsEqual(ctx.source, ctx.target, ['events'], 60_000);
  });
});
