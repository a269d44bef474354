import { describe, it, expect, afterEach, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigStore, resolvePaths } from '../../src/core/config/store.js';
import { silentLogger } from '../../src/core/log.js';
import type { PairContext, RunPairOptions } from '../../src/core/pair/sync-pair.js';
import { SyncService } from '../../src/daemon/service.js';
import type { StatusDocument } from '../../src/daemon/status-file.js';

const homes: string[] = [];
afterEach(() => { for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true }); });

/** The status file is published every 50 ms; a loaded machine may take longer: wait for the condition. */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 25 });

/** Three pairs under maxPairs; the runner holds a slot while it "streams", as the binlog engine holds a lock. */
function setup(maxPairs: number) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-slots-'));
  homes.push(home);
  const store = new ConfigStore(resolvePaths({ DB_SYNC_HOME: home }));
  store.update((c) => {
    c.settings.maxPairs = maxPairs;
    c.connections.push({ name: 'a', host: '127.0.0.1', port: 3306, user: 'u', database: 'x' });
    for (const name of ['one', 'two', 'three']) {
      c.syncPairs.push({ name, source: 'a', target: 'a' } as (typeof c.syncPairs)[number]);
    }
  });
  let peak = 0;
  let holding = 0;
  const runPair = async (ctx: PairContext, options: RunPairOptions) => {
    const policy = options.standby!;
    for (;;) {
      if (ctx.signal.aborted) return;
      const release = policy.claim();
      if (release) {
        holding += 1;
        peak = Math.max(peak, holding);
        ctx.status.update({ state: 'streaming', standby: null });
        await new Promise((r) => ctx.signal.addEventListener('abort', r, { once: true }));
        holding -= 1;
        release();
        return;
      }
      ctx.status.update({ state: 'standby', standby: { holder: null, note: policy.fullNote() } });
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const service = new SyncService({ store, logger: silentLogger(), runPair, version: 'test', publishEveryMs: 50 });
  const file = () => JSON.parse(readFileSync(store.paths.statusFile, 'utf8')) as StatusDocument;
  const states = () => file().pairs.map((p) => p.state);
  return { store, service, file, states, peak: () => peak };
}

describe('maxPairs slots of a service', () => {
  it('holds at most maxPairs pairs, shows the others as standby, gives a freed slot to a waiting pair', async () => {
    const { store, service, file, states, peak } = setup(2);
    await service.start();
    await eventually(() => expect(states().filter((s) => s === 'streaming')).toHaveLength(2));
    await eventually(() => expect(file().pairs.some((p) => p.state === 'standby')).toBe(true));
    const waiting = file().pairs.find((p) => p.state === 'standby');
    expect(waiting?.standby?.note).toBe('free, but this service already holds maxPairs = 2 pairs');
    expect(file().service).toMatchObject({ maxPairs: 2, heldPairs: 2 });

    const streamingOne = file().pairs.find((p) => p.state === 'streaming')!.name;
    store.update((c) => { c.syncPairs.find((p) => p.name === streamingOne)!.enabled = false; });
    await service.reload('test');
    await eventually(() => expect(file().pairs.find((p) => p.name === waiting!.name)?.state).toBe('streaming'));
    expect(file().service.heldPairs).toBe(2);
    expect(peak()).toBe(2);

    store.update((c) => { c.syncPairs.forEach((p) => { p.enabled = true; }); c.settings.maxPairs = 3; });
    await service.reload('test');
    await eventually(() => expect(states()).toEqual(['streaming', 'streaming', 'streaming']));
    expect(peak()).toBe(3);
    await service.stop();
    expect(file().service.heldPairs).toBe(0);
  });
});
