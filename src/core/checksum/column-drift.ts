/**
 * Structure differences that make a checksum comparison meaningless: different column sets
 * or types (every row would differ) or a different row key (rows would be matched by other
 * columns on each side).
 */
import type { TableInfo } from '../db/table-info.js';

/** Human-readable differences between the source's and the target's table; empty when comparable. */
export function columnDrift(a: TableInfo, b: TableInfo): string[] {
  const render = (t: TableInfo) => new Map(t.columns.map((c) => [c.name, c.dataType]));
  const ma = render(a);
  const mb = render(b);
  const out: string[] = [];
  for (const [name, type] of ma) {
    if (!mb.has(name)) out.push(`column ${name} missing on target`);
    else if (mb.get(name) !== type) out.push(`column ${name} is ${type} on source, ${mb.get(name)} on target`);
  }
  for (const name of mb.keys()) if (!ma.has(name)) out.push(`column ${name} exists only on target`);
  if (a.key.join(',') !== b.key.join(',')) out.push(`row key ${renderKey(a)} on source, ${renderKey(b)} on target`);
  return out;
}

function renderKey(t: TableInfo): string {
  return t.keyKind === 'none' ? '(none)' : `${t.keyKind === 'primary' ? 'PRIMARY' : 'UNIQUE'} (${t.key.join(', ')})`;
}
