/**
 * Splits SHOW CREATE TABLE output into columns, keys, constraints, options and partitioning.
 * Pure. Both servers print one column / key / constraint per line, two-space indented, and
 * escape newlines inside strings, which makes the split line-based and reliable.
 * MySQL 8 wraps partitioning in a version comment (slash-star-bang-50100 PARTITION BY ... star-slash);
 * MariaDB prints it bare.
 */
import type { ColumnTypeDetail, NamedPart, TableDef } from './model.js';

export interface ParsedCreate extends Omit<TableDef, 'columns'> {
  columns: Array<{ name: string; sql: string }>;
}

/** Read a backtick-quoted identifier starting at `s[start] === '`'`; returns [name, endIndex]. */
export function readQuotedId(s: string, start: number): [string, number] {
  let i = start + 1;
  let out = '';
  while (i < s.length) {
    const ch = s[i] as string;
    if (ch === '`') {
      if (s[i + 1] === '`') { out += '`'; i += 2; continue; }
      return [out, i + 1];
    }
    out += ch;
    i += 1;
  }
  throw new Error(`unterminated identifier in: ${s}`);
}

export function stripAutoIncrement(options: string): string {
  return options.replace(/\s*\bAUTO_INCREMENT=\d+/g, '');
}

function unwrapVersionComment(s: string): string {
  const m = /^\/\*!\d+\s*([\s\S]*?)\s*\*\/$/.exec(s.trim());
  return m ? (m[1] as string) : s.trim();
}

function classify(line: string, out: ParsedCreate): void {
  if (line.startsWith('`')) {
    const [name] = readQuotedId(line, 0);
    out.columns.push({ name, sql: line });
  } else if (line.startsWith('PRIMARY KEY')) {
    out.primaryKey = line;
  } else if (line.startsWith('CONSTRAINT `')) {
    const [name, end] = readQuotedId(line, 'CONSTRAINT '.length);
    const part: NamedPart = { name, sql: line };
    if (/^\s*FOREIGN KEY/.test(line.slice(end))) out.foreignKeys.push(part);
    else out.checks.push(part);
  } else {
    const m = /^(?:UNIQUE |FULLTEXT |SPATIAL |VECTOR )?(?:KEY|INDEX) `/.exec(line);
    if (!m) throw new Error(`unrecognised line in SHOW CREATE TABLE: ${line}`);
    const [name] = readQuotedId(line, m[0].length - 1);
    out.indexes.push({ name, sql: line });
  }
}

export function parseCreateTable(createSql: string): ParsedCreate {
  const lines = createSql.split('\n');
  const head = lines[0] ?? '';
  const hm = /^CREATE TABLE (`)/.exec(head);
  if (!hm) throw new Error(`not a CREATE TABLE statement: ${head}`);
  const [name] = readQuotedId(head, 'CREATE TABLE '.length);
  const out: ParsedCreate = {
    name, columns: [], primaryKey: null, indexes: [], foreignKeys: [], checks: [], options: '', partition: null,
    createSql: '',
  };
  let i = 1;
  for (; i < lines.length; i += 1) {
    const line = lines[i] as string;
    if (line.startsWith(')')) break;
    classify(line.trim().replace(/,$/, ''), out);
  }
  out.options = stripAutoIncrement((lines[i] ?? ')').slice(1).trim());
  const rest = lines.slice(i + 1).join('\n').trim();
  out.partition = rest ? unwrapVersionComment(rest) : null;
  const tail = rest ? [lines.slice(i + 1).join('\n')] : [];
  out.createSql = [lines.slice(0, i).join('\n'), `) ${out.options}`.trimEnd(), ...tail].join('\n');
  return out;
}

/** Split table options into key -> value (`DEFAULT CHARSET` kept as one key). */
export function parseTableOptions(options: string): Map<string, string> {
  const map = new Map<string, string>();
  const re = /(DEFAULT CHARSET|[A-Z_]+)=('(?:[^'\\]|''|\\.)*'|\S+)/g;
  for (const m of options.matchAll(re)) map.set(m[1] as string, m[2] as string);
  return map;
}

/** Value that resets an option the source no longer has. */
export function resetOptionValue(key: string): string {
  if (key === 'COMMENT') return "''";
  if (key === 'KEY_BLOCK_SIZE') return '0';
  return 'DEFAULT';
}

/** End index of the column type in a column line (after the quoted name). Quote-aware. */
export function typeSpan(line: string): [number, number] {
  const [, end] = readQuotedId(line, 0);
  let i = end + 1;
  const start = i;
  let depth = 0;
  let quote = false;
  for (; i < line.length; i += 1) {
    const ch = line[i];
    if (quote) {
      if (ch === "'" && line[i + 1] === "'") { i += 1; continue; }
      if (ch === '\\') { i += 1; continue; }
      if (ch === "'") quote = false;
    } else if (ch === "'") quote = true;
    else if (ch === '(') depth += 1;
    else if (ch === ')') depth -= 1;
    else if (ch === ' ' && depth === 0) break;
  }
  return [start, i];
}

/**
 * The column line with its character set and collation spelled out. SHOW CREATE omits them
 * when they equal the table default, which is relative: in an ALTER that also changes the
 * table default, or on a target with another default, the bare line would mean another charset.
 */
export function explicitCharset(line: string, info: ColumnTypeDetail): string {
  if (!info.charset || !info.collation) return line;
  const [, end] = typeSpan(line);
  let rest = line.slice(end);
  rest = rest.replace(/^ CHARACTER SET \w+/, '').replace(/^ COLLATE \w+/, '');
  return `${line.slice(0, end)} CHARACTER SET ${info.charset} COLLATE ${info.collation}${rest}`;
}
