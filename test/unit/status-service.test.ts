import { describe, it, expect, afterEach, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigStore, resolvePaths } from '../../src/core/config/store.js';
import { silentLogger } from '../../src/core/log.js';
import type { PairContext } from '../../src/core/pair/sync-pair.js';
import { SyncService } from '../../src/daemon/service.js';
import type { StatusDocument } from '../../src/daemon/status-file.js';

const homes: string[] = [];
afterEach(() => { for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true }); });

function setup(stopDelayMs = 0) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-svc-unit-'));
  homes.push(home);
  const store = new ConfigStore(resolvePaths({ DB_SYNC_HOME: home }));
  store.update((c) => {
    c.connections.push({ name: 'a', host: '127.0.0.1', port: 3306, user: 'u', database: 'x' }, { name: 'b', host: '127.0.0.1', port: 3306, user: 'u', database: 'y' });
    c.syncPairs.push({ name: 'one', source: 'a', target: 'b' } as (typeof c.syncPairs)[number], { name: 'two', source: 'a', target: 'b', enabled: false } as (typeof c.syncPairs)[number]);
  });
  const starts: string[] = [];
  const stops: string[] = [];
  // Pure orchestration: a runner that "streams" until its signal aborts.
  const live = new Map<string, number>();
  let overlap = false;
  const runPair = (ctx: PairContext) => new Promise<void>((resolve) => {
    const name = ctx.pair.name;
    starts.push(name);
    live.set(name, (live.get(name) ?? 0) + 1);
    if (live.get(name)! > 1) overlap = true;
    ctx.status.update({ state: 'streaming', mode: 'binlog', lagMs: 0 });
    ctx.signal.addEventListener('abort', () => {
      // Finishing the transaction in flight takes a while.
      setTimeout(() => { stops.push(name); live.set(name, live.get(name)! - 1); resolve(); }, stopDelayMs);
    }, { once: true });
  });
  const service = new SyncService({ store, logger: silentLogger(), runPair, version: 'test', publishEveryMs: 50 });
  const file = () => JSON.parse(readFileSync(store.paths.statusFile, 'utf8')) as StatusDocument;
  return { store, service, starts, stops, file, overlap: () => overlap };
}

/** Wait until `check` passes (the status file is published every 50 ms; a loaded machine may take longer). */
const eventually = (check: () => void | Promise<void>) => vi.waitFor(check, { timeout: 5000, interval: 25 });

describe('sync service orchestration', () => {
  it('starts enabled pairs, lists disabled ones, and publishes the status file', async () => {
    const { service, starts, file } = setup();
    await service.start();
    await eventually(() => expect(file().pairs.map((p) => [p.name, p.state])).toEqual([['one', 'streaming'], ['two', 'disabled']]));
    expect(starts).toEqual(['one']);
    expect(file().service).toMatchObject({ pid: process.pid, running: true, version: 'test', configError: null, metricsPort: null });
    await service.stop();
    expect(file().service.running).toBe(false);
    expect(file().pairs[0]!.state).toBe('stopped');
  });

  it('applies enable, definition changes and removal on reload, touching only the pairs concerned', async () => {
    const { store, service, starts, stops, file } = setup();
    await service.start();
    store.update((c) => { c.syncPairs[1]!.enabled = true; });
    await service.reload('test');
    expect(starts).toEqual(['one', 'two']);
    expect(stops).toEqual([]);
    store.update((c) => { c.syncPairs[0]!.include = ['orders']; });
    await service.reload('test');
    expect(stops).toEqual(['one']);
    expect(starts).toEqual(['one', 'two', 'one']);
    store.update((c) => { c.syncPairs.splice(1, 1); });
    await service.reload('test');
    expect(stops).toEqual(['one', 'two']);
    await eventually(() => expect(file().pairs.map((p) => p.name)).toEqual(['one']));
    store.update((c) => { c.connections[1]!.port = 3307; });
    await service.reload('test');
    expect(starts.filter((s) => s === 'one')).toHaveLength(3);
    await service.stop();
  });

  it('keeps running with the old config when the new one is invalid, and reports why', async () => {
    const { store, service, starts, file } = setup();
    await service.start();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(store.file, '{"version": 1, "syncPairs": [{"name": "x"}]}');
    await service.reload('test');
    await eventually(() => expect(file().service.configError).toMatch(/invalid configuration/));
    expect(file().pairs.map((p) => p.name)).toEqual(['one', 'two']);
    expect(starts).toEqual(['one']);
    await service.stop();
  });

  it('opens, moves and closes the metrics endpoint when settings.metricsPort changes while running', async () => {
    const { store, service, file } = setup();
    const { freePort } = await import('../../src/demo/mariadb-launcher.js');
    const [p1, p2] = [await freePort(), await freePort()];
    await service.start();
    store.update((c) => { c.settings.metricsPort = p1; });
    await service.reload('test');
    await eventually(async () => {
      const h = await fetch(`http://127.0.0.1:${p1}/healthz`);
      expect(h.status).toBe(200);
      expect(await h.json()).toEqual({ status: 'ok', pairs: [{ name: 'one', state: 'streaming', lastError: null }] });
    });
    store.update((c) => { c.settings.metricsPort = p2; });
    await service.reload('test');
    await expect(fetch(`http://127.0.0.1:${p1}/healthz`)).rejects.toThrow();
    expect((await fetch(`http://127.0.0.1:${p2}/metrics`)).status).toBe(200);
    await eventually(() => expect(file().service.metricsPort).toBe(p2));
    store.update((c) => { delete c.settings.metricsPort; });
    await service.reload('test');
    await expect(fetch(`http://127.0.0.1:${p2}/metrics`)).rejects.toThrow();
    await service.stop();
  });

  it('starts another pair at once while a slow pair is still stopping, and never runs one pair twice at a time', async () => {
    const { store, service, starts, stops, overlap } = setup(1500);
    await service.start();
    store.update((c) => { c.syncPairs[0]!.include = ['orders']; c.syncPairs[1]!.enabled = true; });
    const t0 = Date.now();
    const settled = service.reload('test');
    await eventually(() => expect(starts).toEqual(['one', 'two']));
    expect(stops).toEqual([]); // 'one' is still finishing its transaction
    await settled;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1490);
    expect(starts).toEqual(['one', 'two', 'one']);
    expect(overlap()).toBe(false);
    await service.stop();
  });
});
