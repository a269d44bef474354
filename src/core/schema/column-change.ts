/**
 * Can changing a column from `from` to `to` lose data? Pure. Conservative: anything not known
 * to widen is reported with a reason, and then only applied when the pair allows destructive
 * changes.
 */
import type { ColumnTypeDetail } from './model.js';
import { BLOB_TYPES, TEXT_TYPES } from '../db/column-types.js';

const INT_RANK: Record<string, number> = { tinyint: 1, smallint: 2, mediumint: 3, int: 4, integer: 4, bigint: 5 };
const SUPERSET_CHARSETS = new Set(['utf8mb4']);

function family(t: string): string {
  if (t in INT_RANK) return 'int';
  if (TEXT_TYPES.has(t)) return 'string';
  if (BLOB_TYPES.has(t)) return 'binary';
  if (t === 'decimal' || t === 'numeric') return 'decimal';
  if (t === 'float' || t === 'double' || t === 'real') return 'float';
  return t;
}

/** Values of enum('a','b''c') / set(...). */
export function enumValues(columnType: string): string[] {
  const m = /^(?:enum|set)\(([\s\S]*)\)$/i.exec(columnType);
  if (!m) return [];
  const values: string[] = [];
  const re = /'((?:[^'\\]|''|\\.)*)'/g;
  for (const v of (m[1] as string).matchAll(re)) values.push((v[1] as string).replace(/''/g, "'"));
  return values;
}

const unsigned = (c: ColumnTypeDetail) => /\bunsigned\b/i.test(c.columnType);
const n = (v: number | null) => v ?? 0;

function sameFamilyLoss(f: string, from: ColumnTypeDetail, to: ColumnTypeDetail): string | null {
  const narrows = `narrows ${from.columnType} to ${to.columnType}`;
  switch (f) {
    case 'int': {
      const rankFrom = INT_RANK[from.dataType] ?? 0;
      const rankTo = INT_RANK[to.dataType] ?? 0;
      if (rankTo < rankFrom) return narrows;
      if (unsigned(from) !== unsigned(to) && !(unsigned(from) && rankTo > rankFrom)) {
        return `changes signedness ${from.columnType} to ${to.columnType}`;
      }
      return null;
    }
    case 'string':
    case 'binary':
      return n(to.charMaxLength) < n(from.charMaxLength) ? `narrows ${from.columnType} to ${to.columnType}` : null;
    case 'decimal': {
      const intFrom = n(from.numericPrecision) - n(from.numericScale);
      const intTo = n(to.numericPrecision) - n(to.numericScale);
      if (intTo < intFrom || n(to.numericScale) < n(from.numericScale)) return narrows;
      return unsigned(to) && !unsigned(from) ? `makes ${from.columnType} unsigned` : null;
    }
    case 'float':
      return from.dataType === 'double' && to.dataType === 'float' ? narrows : null;
    case 'enum':
    case 'set': {
      const kept = new Set(enumValues(to.columnType));
      const lost = enumValues(from.columnType).filter((v) => !kept.has(v));
      return lost.length ? `removes ${f} value(s) ${lost.map((v) => `'${v}'`).join(', ')}` : null;
    }
    case 'bit':
      return n(to.numericPrecision) < n(from.numericPrecision) ? narrows : null;
    case 'datetime':
    case 'timestamp':
    case 'time':
      return n(to.datetimePrecision) < n(from.datetimePrecision)
        ? `drops fractional seconds ${from.columnType} to ${to.columnType}` : null;
    default:
      return from.columnType === to.columnType ? null : `changes ${from.columnType} to ${to.columnType}`;
  }
}

/** Reasons the change can lose data (empty when it cannot). */
export function columnChangeLoss(name: string, from: ColumnTypeDetail, to: ColumnTypeDetail): string[] {
  const reasons: string[] = [];
  const ff = family(from.dataType);
  const ft = family(to.dataType);
  let loss: string | null;
  if (ff === ft) loss = sameFamilyLoss(ff, from, to);
  else if (from.dataType === 'date' && (to.dataType === 'datetime' || to.dataType === 'timestamp')) loss = null;
  else loss = `changes type ${from.columnType} to ${to.columnType}`;
  if (loss) reasons.push(`column \`${name}\` ${loss}`);
  if (from.charset && to.charset && from.charset !== to.charset && !SUPERSET_CHARSETS.has(to.charset)) {
    reasons.push(`column \`${name}\` converts character set ${from.charset} to ${to.charset}`);
  }
  if (from.nullable && !to.nullable) {
    reasons.push(`column \`${name}\` becomes NOT NULL (existing NULLs would be replaced)`);
  }
  return reasons;
}
