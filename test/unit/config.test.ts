import { settingsPatch } from '../../src/cli/commands/settings.js';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigStore, resolvePaths } from '../../src/core/config/store.js';
import { defaultConfig } from '../../src/core/config/schema.js';
import { addConnection, addPair, editPair, removeConnection, checkGlob, publicConnection } from '../../src/core/config/edit.js';
import { SyncError } from '../../src/core/errors.js';

let home: string;
let store: ConfigStore;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-unit-'));
  store = new ConfigStore(resolvePaths({ DB_SYNC_HOME: home }));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function errorOf(fn: () => unknown): SyncError {
  try { fn(); } catch (err) { return err as SyncError; }
  throw new Error('expected an error');
}

const conn = (name: string, database = 'shop', port = 3306) => ({ name, host: '127.0.0.1', port, user: 'u', password: 'secret', database });

describe('config store', () => {
  it('uses .db-sync/config.json under the working directory, or DB_SYNC_HOME/config.json', () => {
    expect(resolvePaths({}, '/srv/app').configFile).toBe('/srv/app/.db-sync/config.json');
    expect(resolvePaths({}, '/srv/app').logDir).toBe('/srv/app/logs');
    expect(resolvePaths({ DB_SYNC_HOME: '/etc/dbs' }, '/x').configFile).toBe('/etc/dbs/config.json');
  });

  it('has the promised defaults when no file exists', () => {
    expect(store.load().settings).toEqual({
      pollInterval: 5000, schemaCheckInterval: 300000, logLevel: 'info', maxRetries: 3, retryDelay: 5000,
      throttleThreadsRunning: 50, throttleReplicaLag: 10, historyListWarn: 1_000_000, sharedReader: true });
  });

  it('takes sharedReader=true|false from `settings set`, and names the problem for anything else', () => {
    const current = store.load().settings;
    expect(settingsPatch(current, ['sharedReader=false']).sharedReader).toBe(false);
    expect(settingsPatch(current, ['sharedReader=true']).sharedReader).toBe(true);
    expect(() => settingsPatch(current, ['sharedReader=maybe'])).toThrow(/settings\.sharedReader/);
  });

  it('writes atomically with mode 0600 and round-trips, keeping fields unknown to this version', () => {
    const config = defaultConfig();
    addConnection(config, conn('a'));
    store.save(config);
    const raw = JSON.parse(readFileSync(store.file, 'utf8'));
    raw.futureField = { keep: true };
    raw.connections[0].futureOption = 42;
    writeFileSync(store.file, JSON.stringify(raw));
    store.update((c) => addConnection(c, conn('b', 'other')));
    const after = JSON.parse(readFileSync(store.file, 'utf8'));
    expect(after.futureField).toEqual({ keep: true });
    expect(after.connections[0].futureOption).toBe(42);
    expect(after.connections.map((c: { name: string }) => c.name)).toEqual(['a', 'b']);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
  });

  it('names the line of malformed JSON', () => {
    writeFileSync(store.file, '{\n  "version": 1,\n  "connections": [\n    {"name": "a",}\n  ]\n}\n');
    const err = errorOf(() => store.load());
    expect(err.code).toBe('CONFIG_MALFORMED');
    expect(err.message).toContain(store.file);
    expect(err.message).toMatch(/line 4/);
  });

  it('names the file, the field and the problem for an invalid value', () => {
    writeFileSync(store.file, JSON.stringify({ connections: [conn('a'), { ...conn('b'), port: 'abc' }] }));
    const err = errorOf(() => store.load());
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(store.file);
    expect(err.message).toContain('connections[1].port: expected an integer 1..65535, got "abc"');
  });

  it('rejects pairs that reference unknown connections and duplicate names', () => {
    writeFileSync(store.file, JSON.stringify({ connections: [conn('a'), conn('a')], syncPairs: [{ name: 'p', source: 'a', target: 'zz' }] }));
    const err = errorOf(() => store.load());
    expect(err.message).toContain('connections[1].name: duplicate connection name "a"');
    expect(err.message).toContain('syncPairs[0].target: unknown connection "zz"');
  });
});

describe('config edits', () => {
  it('refuses to remove a connection a pair uses, naming the pair', () => {
    const c = defaultConfig();
    addConnection(c, conn('a'));
    addConnection(c, conn('b', 'other'));
    addPair(c, { name: 'p1', source: 'a', target: 'b' });
    const err = errorOf(() => removeConnection(c, 'b'));
    expect(err.code).toBe('CONNECTION_IN_USE');
    expect(err.message).toContain('"p1"');
  });

  it('refuses a pair whose source and target are the same database, also via localhost aliases', () => {
    const c = defaultConfig();
    addConnection(c, conn('a'));
    addConnection(c, { ...conn('b'), host: 'localhost' });
    expect(errorOf(() => addPair(c, { name: 'p', source: 'a', target: 'b' })).code).toBe('SOURCE_IS_TARGET');
  });

  it('rejects invalid globs and duplicate pair names; edit keeps other fields', () => {
    const c = defaultConfig();
    addConnection(c, conn('a'));
    addConnection(c, conn('b', 'other'));
    expect(errorOf(() => checkGlob('orders[')).code).toBe('INVALID_GLOB');
    addPair(c, { name: 'p', source: 'a', target: 'b', exclude: ['tmp_*'] });
    expect(errorOf(() => addPair(c, { name: 'p', source: 'a', target: 'b' })).code).toBe('DUPLICATE_NAME');
    const edited = editPair(c, 'p', { allowDestructive: true });
    expect(edited).toMatchObject({ allowDestructive: true, exclude: ['tmp_*'], source: 'a' });
  });

  it('never shows a stored password in public output', () => {
    expect(JSON.stringify(publicConnection({ ...conn('a'), port: 3306 }))).not.toContain('secret');
  });
});
