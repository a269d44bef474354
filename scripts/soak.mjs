#!/usr/bin/env node
/**
 * Service soak (not in CI): runs the built service against two throwaway MariaDB servers
 * for SOAK_SECONDS (default 600) under RATE row changes per second (default 1000: inserts,
 * updates and deletes in small transactions), samples the service's RSS every 10 s, then
 * checks that the target equals the source and that RSS did not keep growing.
 *
 *   npm run build && node scripts/soak.mjs            # SOAK_SECONDS=60 RATE=500 for a quick run
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(ROOT, 'dist', p));
const { startServer, rootConnectionConfig } = await dist('demo/mariadb-launcher.js');
const { openConnection, queryRows, closeQuietly } = await dist('core/db/connection.js');
const { ConfigStore, resolvePaths } = await dist('core/config/store.js');

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const RATE = Number(process.env.RATE ?? 1000);
const SAMPLE_MS = 10_000;
const BATCH = 20; // row changes per transaction

const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};
const status = (home) => {
  try { return JSON.parse(readFileSync(path.join(home, 'status.json'), 'utf8')).pairs[0]; } catch { return undefined; }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, pred, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(200);
  }
}

/** One transaction of BATCH row changes: 60% inserts, 30% updates, 10% deletes. */
async function changeBatch(db, state) {
  const ins = [];
  await db.query('START TRANSACTION');
  for (let i = 0; i < BATCH; i += 1) {
    const r = state.n++ % 10;
    if (r < 6) ins.push([state.next++, `v${state.n}`, state.n]);
    else if (r < 9) await db.query('UPDATE soak SET v = ?, n = n + 1 WHERE id = ?', [`u${state.n}`, 1 + (state.n * 7919) % Math.max(1, state.next - 1)]);
    else await db.query('DELETE FROM soak WHERE id = ?', [1 + (state.n * 104729) % Math.max(1, state.next - 1)]);
  }
  if (ins.length) await db.query('INSERT INTO soak (id, v, n) VALUES ?', [ins]);
  await db.query('COMMIT');
}

async function checksum(port) {
  const db = await openConnection(rootConnectionConfig(port, 'soak'));
  try {
    const [r] = await queryRows(db, 'SELECT COUNT(*) AS c, COALESCE(SUM(CRC32(CONCAT_WS(0x1f, id, v, n))), 0) AS s FROM soak');
    return `${r.c}/${r.s}`;
  } finally { await closeQuietly(db); }
}

const home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-soak-'));
const [source, target] = await Promise.all([startServer({ binlog: true, serverId: 31, label: 'soak-src' }), startServer({ binlog: false, serverId: 32, label: 'soak-dst' })]);
let service;
try {
  source.sql('CREATE DATABASE soak; CREATE TABLE soak.soak (id BIGINT PRIMARY KEY, v VARCHAR(64) NOT NULL, n BIGINT NOT NULL, t TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3));');
  target.sql('CREATE DATABASE soak;');
  const store = new ConfigStore(resolvePaths({ DB_SYNC_HOME: home }));
  store.update((c) => {
    c.connections.push({ ...rootConnectionConfig(source.port, 'soak'), name: 's' }, { ...rootConnectionConfig(target.port, 'soak'), name: 't' });
    c.syncPairs.push({ name: 'soak', source: 's', target: 't' });
  });
  service = spawn(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'service', 'start'], { env: { ...process.env, DB_SYNC_HOME: home }, stdio: 'ignore' });
  await waitFor('pair streaming', () => status(home)?.state === 'streaming');
  const db = await openConnection(rootConnectionConfig(source.port, 'soak'));
  const state = { n: 0, next: 1 };
  const t0 = Date.now();
  const samples = [];
  let nextSample = t0;
  console.log(`soak: ${SECONDS} s at ${RATE} row changes/s; service PID ${service.pid}; home ${home}`);
  console.log('   t(s)  RSS(MB)  changes   lag(ms)  state');
  while (Date.now() - t0 < SECONDS * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * RATE / BATCH);
    while (state.n / BATCH < due) await changeBatch(db, state);
    if (Date.now() >= nextSample) {
      const s = status(home);
      const sample = { t: Math.round((Date.now() - t0) / 1000), rss: rssMb(service.pid), changes: state.n, lag: s?.lagMs ?? null, state: s?.state };
      samples.push(sample);
      console.log(`${String(sample.t).padStart(7)}  ${sample.rss.toFixed(1).padStart(7)}  ${String(sample.changes).padStart(7)}  ${String(sample.lag).padStart(8)}  ${sample.state}`);
      nextSample += SAMPLE_MS;
    }
    await sleep(10);
  }
  await closeQuietly(db);
  const achieved = state.n / ((Date.now() - t0) / 1000);
  let equal = false;
  const deadline = Date.now() + 120_000;
  let a; let b;
  while (Date.now() < deadline && !equal) {
    [a, b] = [await checksum(source.port), await checksum(target.port)];
    equal = a === b;
    if (!equal) await sleep(1000);
  }
  const warm = samples.filter((s) => s.t >= Math.min(120, SECONDS / 3));
  const firstHalf = warm.slice(0, Math.ceil(warm.length / 2)).map((s) => s.rss);
  const lastHalf = warm.slice(Math.ceil(warm.length / 2)).map((s) => s.rss);
  const avg = (xs) => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
  const growth = avg(lastHalf) - avg(firstHalf);
  console.log(`achieved ${achieved.toFixed(0)} changes/s; RSS min ${Math.min(...samples.map((s) => s.rss)).toFixed(1)} MB, max ${Math.max(...samples.map((s) => s.rss)).toFixed(1)} MB; ` +
    `after warm-up: first half avg ${avg(firstHalf).toFixed(1)} MB, second half avg ${avg(lastHalf).toFixed(1)} MB (growth ${growth.toFixed(1)} MB)`);
  console.log(`target ${equal ? 'equals' : 'DIFFERS FROM'} source (count/crc32 sum ${a} vs ${b})`);
  process.exitCode = equal && growth < 50 ? 0 : 1;
} finally {
  if (service && service.exitCode === null) {
    const exited = new Promise((r) => service.once('exit', r));
    service.kill('SIGTERM');
    await Promise.race([exited, sleep(20_000)]);
  }
  await Promise.all([source.stop(), target.stop()]);
  rmSync(home, { recursive: true, force: true });
}
