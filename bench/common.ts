/** What the benchmark scripts share: a db-sync home with one pair between two throwaway servers. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestServer } from '../test/helpers/mariadb-server.js';

export const q = (s: TestServer, sql: string, db?: string) => s.sql(sql, db).trim();

/** Two CPU-time fields of a /proc stat file, in seconds (clock ticks of USER_HZ 100). */
function statSec(file: string, field: number): number {
  const stat = readFileSync(file, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[field]) + Number(f[field + 1])) / 100;
}

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat; NaN when gone. */
export function cpuSec(pid: number | undefined): number {
  try {
    return statSec(`/proc/${pid}/stat`, 11); // utime, stime
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds (user + system) of this process's children that have exited and been waited
 * for (cutime + cstime of /proc/self/stat): what a tool run with execFileSync or a child
 * awaited to its exit cost, exactly, when read before and after it.
 */
export function childrenCpuSec(): number {
  return statSec('/proc/self/stat', 13);
}

/** A DB_SYNC_HOME whose config has pair `p` from srcDb on `src` to dstDb on `dst` (data only). */
export function dbSyncHome(src: TestServer, dst: TestServer, srcDb: string, dstDb: string, prefix = 'db-sync-bench-'): string {
  const home = mkdtempSync(path.join(os.tmpdir(), prefix));
  writeFileSync(path.join(home, 'config.json'), JSON.stringify({
    version: 1, settings: { logLevel: 'warn' },
    connections: [
      { name: 'src', host: '127.0.0.1', port: src.port, user: 'root', password: '', database: srcDb },
      { name: 'dst', host: '127.0.0.1', port: dst.port, user: 'root', password: '', database: dstDb },
    ],
    syncPairs: [{ name: 'p', source: 'src', target: 'dst', schema: false, routines: false }],
  }));
  return home;
}

/**
 * Watches MAX(id) of DB.lagt on the target, polling every `pollMs`: when each row became
 * visible there (the lag benchmarks' target side).
 */
export async function watchTarget(dst: TestServer, db: string, pollMs: number):
  Promise<{ stop(): Promise<Array<[number, number]>> }> {
  const mysql = (await import('mysql2/promise')).default;
  const c = await mysql.createConnection({ host: '127.0.0.1', port: dst.port, user: 'root', database: db,
    supportBigNumbers: true });
  const seen: Array<[number, number]> = [];
  let stopped = false;
  const loop = (async () => {
    let last = 0;
    while (!stopped) {
      const [[r]] = (await c.query('SELECT MAX(id) AS m FROM lagt')) as unknown as [[{ m: number | null }]];
      const now = performance.timeOrigin + performance.now();
      const m = Number(r.m ?? 0);
      if (m > last) { seen.push([m, now]); last = m; }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  })();
  return { stop: async () => { stopped = true; await loop; await c.end(); return seen; } };
}
