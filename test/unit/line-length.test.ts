import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(import.meta.dirname, '../../src');
const MAX = 120;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Files that still have lines over 120 characters, with how many (December 2026; issue 10):
 * only files another change was rewriting while the rest of src/ was rewrapped. A ratchet: a
 * file not listed must have none, a listed one no more than its count, and a count that went
 * down must be lowered here (so the list only shrinks). Remove a file's entry once it is clean;
 * with the list empty the test asserts that no line in src/ is over 120.
 */
const PENDING = new Map<string, number>([
  ['core/config/schema.ts', 2],
  ['core/data/apply-loop.ts', 8],
  ['core/data/binlog-reader.ts', 8],
  ['core/data/orchestrator.ts', 10],
  ['core/data/supervisor.ts', 1],
  ['core/pair/data-step.ts', 2],
  ['core/pair/schema-step.ts', 11],
  ['core/pair/sync-pair.ts', 3],
  ['daemon/service.ts', 6],
]);

describe('line length', () => {
  const counts = new Map(files(SRC).map((f) => [path.relative(SRC, f),
    readFileSync(f, 'utf8').split('\n').filter((l) => l.length > MAX).length]));

  it('reads the source tree', () => {
    expect(counts.size).toBeGreaterThan(100);
  });

  it(`keeps src/ lines at ${MAX} characters or less (files still pending: at most their listed count)`, () => {
    const over = [...counts].filter(([f, n]) => n > (PENDING.get(f) ?? 0)).map(([f, n]) => `${f}: ${n}`);
    expect(over).toEqual([]);
  });

  it('lists no file with fewer long lines than it has (lower or remove its entry)', () => {
    const stale = [...PENDING].filter(([f, n]) => (counts.get(f) ?? 0) < n)
      .map(([f, n]) => `${f}: ${counts.get(f) ?? 0} < ${n}`);
    expect(stale).toEqual([]);
  });
});
