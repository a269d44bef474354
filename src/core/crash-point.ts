/**
 * Deterministic crash points for kill -9 tests and the fuzzer. A test sets
 * DB_SYNC_CRASH_POINT=name:N (several separated by commas); the N-th time the process passes
 * `crashPoint(name)` it kills itself with SIGKILL, exactly as `kill -9` would, at a known
 * instant (e.g. after a statement was sent but before its COMMIT). Just before, it writes one
 * line to stderr, `db-sync crash point NAME:N (DETAIL)`, so a test can check where the kill
 * landed (DETAIL: what was in flight, e.g. the rows of the open transaction). Unset, a call
 * costs one Map lookup. Names in use: see CRASH_POINTS.
 */
import { writeSync } from 'node:fs';

export const CRASH_POINTS = [
  /** Stream: rows of a source transaction were sent to the target, its COMMIT not yet. */
  'stream.before-commit',
  /** Stream: a target transaction (rows + checkpoint) has just committed. */
  'stream.after-commit',
  /** Stream: a DDL statement from the binlog has just run on the target, its checkpoint not yet. */
  'stream.after-ddl',
  /** Snapshot: a chunk's rows were sent, its COMMIT not yet. */
  'snapshot.before-chunk-commit',
  /** Snapshot: a chunk (rows + progress) has just committed. */
  'snapshot.after-chunk-commit',
] as const;
export type CrashPointName = (typeof CRASH_POINTS)[number];

let plan: Map<string, number> | null = null;
const hits = new Map<string, number>();

function parsePlan(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([\w.-]+):(\d+)$/.exec(part);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

export function crashPoint(name: CrashPointName, detail?: () => string): void {
  plan ??= parsePlan(process.env.DB_SYNC_CRASH_POINT);
  const at = plan.get(name);
  if (at === undefined) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (n !== at) return;
  writeSync(2, `db-sync crash point ${name}:${n}${detail ? ` (${detail()})` : ''}\n`);
  process.kill(process.pid, 'SIGKILL');
}
