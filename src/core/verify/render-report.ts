/** Pure: the human-readable verify report. */
import type { VerifyReport } from './verify-pair.js';
import type { TableReport } from '../checksum/verify-table.js';

function examples(label: string, n: number, keys: string[]): string {
  if (n === 0) return '';
  const more = n > keys.length ? ', ...' : '';
  return `${n} ${label}${keys.length > 0 ? ` (e.g. ${keys.join(', ')}${more})` : ''}`;
}

export function renderTable(t: TableReport): string[] {
  const head = `${t.table}: `;
  switch (t.status) {
    case 'ok': return [`${head}OK (${t.sourceRows} rows, ${t.chunks} chunks)`];
    case 'missing-on-target': return [`${head}MISSING on target`];
    case 'schema-differs': return [`${head}SCHEMA DIFFERS (rows not compared)`, ...t.drift.map((d) => `  - ${d}`)];
    case 'error': {
      const hint = t.error?.hint ? [`  hint: ${t.error.hint}`] : [];
      return [`${head}ERROR ${t.error?.message ?? ''}`, ...hint];
    }
    case 'differs': {
      const parts = [examples('missing', t.missing, t.examples.missing), examples('extra', t.extra, t.examples.extra),
        examples('different', t.different, t.examples.different)].filter(Boolean);
      const keyless = t.noPrimaryKey
        ? ' (no primary key or NOT NULL unique key: rows not located, not repairable)' : '';
      const lines = [`${head}DIFFERS: ${parts.join('; ')}${keyless}`];
      if (t.repaired) {
        const r = t.repaired;
        const conflicts = r.conflicts.length
          ? `; ${r.conflicts.length} unique-key conflicts (e.g. ${r.conflicts.slice(0, 5).join(', ')})` : '';
        lines.push(`  repaired: ${r.inserted} inserted, ${r.replaced} replaced, ${r.deleted} deleted${conflicts}`);
      }
      return lines;
    }
  }
}

export function renderReport(r: VerifyReport): string {
  const lines = r.tables.flatMap(renderTable);
  for (const t of r.onlyOnTarget) lines.push(`${t}: EXTRA table on target`);
  const rows = r.tables.reduce((n, t) => n + t.sourceRows, 0);
  const secs = (r.elapsedMs / 1000).toFixed(1);
  lines.push(`${r.equal ? 'equal' : 'differences found'}: ${r.tables.length} tables, ${rows} rows in ${secs}s`);
  return lines.join('\n');
}
