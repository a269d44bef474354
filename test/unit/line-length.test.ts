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

/** Every line of src/ fits in 120 characters (issue 10); a failure names each long line as file:line (length). */
describe('line length', () => {
  const sources = files(SRC);

  it('reads the source tree', () => {
    expect(sources.length).toBeGreaterThan(100);
  });

  it(`keeps every src/ line at ${MAX} characters or less`, () => {
    const long = sources.flatMap((f) => readFileSync(f, 'utf8').split('\n')
      .flatMap((l, i) => (l.length > MAX ? [`${path.relative(SRC, f)}:${i + 1} (${l.length})`] : [])));
    expect(long, `lines over ${MAX} characters:\n${long.join('\n')}`).toEqual([]);
  });
});
