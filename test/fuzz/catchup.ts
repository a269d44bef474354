/** The end of a run: wait until db-sync's checkpoint (in the target) covers the source's binlog end. */
import { rows, type Conn } from './features/common.js';
import { PAIR } from './dbsync.js';

interface Pos { file: string; pos: number }

function cmp(a: Pos, b: Pos): number {
  const n = (f: string) => Number(/\.(\d+)$/.exec(f)?.[1] ?? 0);
  return n(a.file) - n(b.file) || a.pos - b.pos;
}

export async function sourceEnd(source: Conn): Promise<Pos> {
  const [st] = await rows<{ File: string; Position: number | string }>(source, 'SHOW MASTER STATUS');
  if (!st) throw new Error('the source has no binlog');
  return { file: st.File, pos: Number(st.Position) };
}

/** null when caught up; else why not (a loud stop, a timeout). */
export async function waitDbSync(target: Conn, db: string, end: Pos, sync: { loudStop: string | null },
  timeoutSec: number, pair = PAIR): Promise<string | null> {
  const deadline = Date.now() + timeoutSec * 1000;
  let last = 'no checkpoint yet';
  while (Date.now() < deadline) {
    if (sync.loudStop) return `loud stop:\n${sync.loudStop}`;
    try {
      const got = await rows<{ stream: string; state: string }>(target,
        `SELECT stream, state FROM \`${db}\`._db_sync_checkpoint WHERE pair_name = ?`, [pair]);
      const binlog = got.find((r) => r.stream === 'binlog');
      // a finished snapshot leaves its row with the JSON state null
      const snapshot = got.find((r) => r.stream === 'snapshot' && r.state !== 'null');
      if (binlog) {
        const p = JSON.parse(binlog.state) as Pos;
        last = `checkpoint ${p.file}:${p.pos}${snapshot ? ' (snapshot in progress)' : ''}`;
        if (!snapshot && cmp(p, end) >= 0) return null;
      }
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return `db-sync did not reach the source's end ${end.file}:${end.pos} within ${timeoutSec} s (${last})`;
}
