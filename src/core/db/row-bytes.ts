/**
 * Row statements as exact bytes, for the binlog applier's binary-charset session
 * (connection.ts `binary: true`). Pure.
 *
 * Why bytes: a row image from the binlog holds text as the bytes the source stored, in the
 * column's own character set (latin1, sjis, utf8mb4 ...). Decoding and re-encoding them can
 * change them; a charset introducer keeps them: `_latin1'<bytes>'` means exactly those
 * bytes in latin1. Binary values travel as `_binary'<bytes>'`, escaped (1 byte each, not 2
 * as in hex). Key comparisons add the column's collation so the server can use the index.
 */
import type { ColumnInfo, TableInfo } from './table-info.js';
import { BLOB_TYPES, EXACT_NUMERIC_TYPES, STRING_TYPES, TEXT_TYPES } from './column-types.js';
import { quoteId, quoteQualified } from './quote.js';

export type RowImage = Record<string, unknown>;

/** Types whose exact decimal text must stay unquoted: quoted, a comparison would go through DOUBLE. */
const NUMERIC_TYPES: ReadonlySet<string> = new Set([...EXACT_NUMERIC_TYPES, 'enum', 'set', 'year', 'bit']);
const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/**
 * Bytes that need a backslash inside a quoted literal (mysql_real_escape_string's set), as a
 * table: 0 for a byte that stays, else the letter after the backslash.
 */
const ESCAPE = new Uint8Array(256);
for (const [byte, letter] of [[0x00, 0x30], [0x0a, 0x6e], [0x0d, 0x72], [0x1a, 0x5a], [0x22, 0x22], [0x27, 0x27],
  [0x5c, 0x5c]] as const) ESCAPE[byte] = letter;
/** Up to this many bytes a value is escaped byte by byte; longer ones copy the runs between escapes natively. */
const BYTEWISE_MAX = 256;

/** `'...'` around `b` with the bytes escaped (session without NO_BACKSLASH_ESCAPES). */
export function quoteBytes(b: Buffer): Buffer {
  let extra = 0;
  for (let i = 0; i < b.length; i++) if (ESCAPE[b[i] as number] !== 0) extra++;
  const out = Buffer.allocUnsafe(b.length + extra + 2);
  out[0] = 0x27;
  out[out.length - 1] = 0x27;
  if (extra === 0) {
    b.copy(out, 1);
  } else if (b.length <= BYTEWISE_MAX) {
    // each native copy of a run makes a view object: a JSON checkpoint has dozens of runs
    let o = 1;
    for (let i = 0; i < b.length; i++) {
      const c = b[i] as number;
      const e = ESCAPE[c] as number;
      if (e === 0) { out[o++] = c; continue; }
      out[o++] = 0x5c;
      out[o++] = e;
    }
  } else {
    let o = 1;
    let run = 0;
    for (let i = 0; i < b.length; i++) {
      const e = ESCAPE[b[i] as number] as number;
      if (e === 0) continue;
      o += b.copy(out, o, run, i);
      out[o++] = 0x5c;
      out[o++] = e;
      run = i + 1;
    }
    b.copy(out, o, run, b.length);
  }
  return out;
}

function ascii(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

const NULL = ascii('NULL');
// the fixed pieces of every statement, made once (the stream builds several statements per row)
const AND = ascii(' AND ');
const EQ = ascii(' = ');
const NULL_SAFE_EQ = ascii(' <=> ');
const LIMIT_1 = ascii(' LIMIT 1');
const COMMA = ascii(', ');
const OPEN = ascii('(');
const CLOSE = ascii(')');
const BINARY = ascii('_binary');
const NOTHING = Buffer.alloc(0);
/** `_<charset>` introducers and ` COLLATE <collation>` suffixes: a handful per server, kept. */
const introducers = new Map<string, Buffer>();
const collates = new Map<string, Buffer>();
const cached = (m: Map<string, Buffer>, key: string, make: () => Buffer): Buffer => {
  let b = m.get(key);
  if (!b) m.set(key, b = make());
  return b;
};

/**
 * A value as an SQL literal for `column`. `compare`: for a WHERE clause (text gets the
 * column's collation so the index applies).
 */
export function literal(column: ColumnInfo | undefined, v: unknown, compare = false): Buffer {
  if (v === null || v === undefined) return NULL;
  const type = column?.dataType ?? '';
  if (Buffer.isBuffer(v)) {
    if (type === 'bit') return ascii(`X'${v.toString('hex')}'`);
    if (STRING_TYPES.has(type) && column?.charset) return textLiteral(column, v, compare);
    return Buffer.concat([BINARY, quoteBytes(v)]);
  }
  if (typeof v === 'number') {
    if (Object.is(v, -0)) return ascii('-0e0');
    if (!Number.isFinite(v)) throw new Error(`value ${v} of column ${column?.name ?? '?'} is not a finite number`);
    return ascii(String(v));
  }
  if (typeof v === 'bigint') return ascii(v.toString());
  if (typeof v === 'boolean') return ascii(v ? '1' : '0');
  const s = String(v);
  // enum/set arrive as index / bitmask numbers (the exact form; names depend on the charset)
  if (NUMERIC_TYPES.has(type) && DECIMAL_TEXT.test(s)) return ascii(s);
  if (STRING_TYPES.has(type) && column?.charset) {
    return textLiteral({ ...column, charset: 'utf8mb4' }, Buffer.from(s, 'utf8'), compare);
  }
  return quoteBytes(Buffer.from(s, 'utf8'));
}

function textLiteral(column: ColumnInfo, bytes: Buffer, compare: boolean): Buffer {
  const intro = cached(introducers, column.charset ?? '', () => ascii(`_${column.charset}`));
  const collation = column.collation;
  const collate = compare && collation ? cached(collates, collation, () => ascii(` COLLATE ${collation}`)) : NOTHING;
  return Buffer.concat([intro, quoteBytes(bytes), collate]);
}

/** Columns of a row image the target writes, in table order (absent columns of a partial image left out). */
export function presentColumns(t: TableInfo, row: RowImage): string[] {
  return t.writable.filter((c) => c in row);
}

/** Row image columns the target table does not have (a shape mismatch). */
export function unknownColumns(t: TableInfo, row: RowImage): string[] {
  let known = knownColumns.get(t);
  if (!known) knownColumns.set(t, known = new Set([...t.columns.map((c) => c.name), ...(t.hiddenColumns ?? [])]));
  const out: string[] = [];
  for (const c in row) if (!known.has(c)) out.push(c);
  return out;
}

/** Column names per table description (checked for every row image of the stream). */
const knownColumns = new WeakMap<TableInfo, ReadonlySet<string>>();

export class TableWriter {
  private readonly byName: Map<string, ColumnInfo>;
  readonly target: Buffer;

  /** Quoted column names and INSERT heads, made once per table description. */
  private readonly idBytes = new Map<string, Buffer>();
  private readonly heads = new Map<string, Buffer>();

  constructor(readonly t: TableInfo) {
    this.byName = new Map(t.columns.map((c) => [c.name, c]));
    this.target = Buffer.from(quoteQualified(t.schema, t.name), 'utf8');
  }

  private id(c: string): Buffer {
    return cached(this.idBytes, c, () => Buffer.from(quoteId(c), 'utf8'));
  }

  /** `INSERT INTO t (cols) VALUES ` — the head every row tuple of a batch follows. */
  insertHead(cols: string[]): Buffer {
    return cached(this.heads, cols.join('\0'), () => Buffer.concat([ascii('INSERT INTO '), this.target, ascii(' ('),
      Buffer.from(cols.map(quoteId).join(', '), 'utf8'), ascii(') VALUES ')]));
  }

  /** `(v1, v2, ...)` of one row for `cols`. */
  tuple(cols: string[], row: RowImage): Buffer {
    const parts: Buffer[] = [OPEN];
    cols.forEach((c, i) => {
      if (i) parts.push(COMMA);
      parts.push(literal(this.byName.get(c), row[c]));
    });
    parts.push(CLOSE);
    return Buffer.concat(parts);
  }

  /**
   * The columns that find the row in `before`: the table's key, else another unique key
   * the (partial) image carries in full; none for a keyless table (every column matched).
   */
  private keyFor(before: RowImage): string[] | null {
    const keys = this.t.key.length ? [this.t.key, ...(this.t.uniqueKeys ?? [])] : [];
    return keys.find((k) => k.every((c) => c in before)) ?? null;
  }

  /** WHERE condition that finds the row: by key, else by every present column NULL-safely. */
  match(before: RowImage): Buffer {
    const key = this.keyFor(before);
    const keyed = key !== null;
    const cols = key ?? presentColumns(this.t, before);
    const parts: Buffer[] = [];
    cols.forEach((c, i) => {
      if (i) parts.push(AND);
      parts.push(this.id(c), keyed ? EQ : NULL_SAFE_EQ, literal(this.byName.get(c), before[c], true));
    });
    if (!keyed) parts.push(LIMIT_1);
    return Buffer.concat(parts);
  }

  /** A key is fully present in a (possibly partial) before image; keyless: every column is. */
  canMatch(before: RowImage): boolean {
    return this.t.key.length > 0 ? this.keyFor(before) !== null : this.t.writable.every((c) => c in before);
  }

  /**
   * UPDATE of the columns that changed (bytes differ). Columns with ON UPDATE
   * CURRENT_TIMESTAMP are always assigned: left out, the target would stamp its own time.
   * Nothing changed: the key is assigned to itself, so the statement still finds the row.
   */
  update(before: RowImage, after: RowImage): Buffer {
    const changed = presentColumns(this.t, after)
      .filter((c) => !(c in before) || !sameValue(before[c], after[c]) || this.byName.get(c)?.onUpdateTimestamp);
    return this.assign(before, changed.length
      ? changed.map((c) => [c, literal(this.byName.get(c), after[c])]) : this.selfAssign(before));
  }

  /** UPDATE ... SET col = CONCAT(col, <chunk>) for a value written in parts (larger than a packet). */
  append(match: RowImage, col: string, chunk: Buffer): Buffer {
    const id = quoteId(col);
    const value = Buffer.concat([ascii(`CONCAT(${id}, `), literal(this.byName.get(col), chunk), ascii(')')]);
    return this.assign(match, [[col, value]]);
  }

  private selfAssign(before: RowImage): Array<[string, Buffer]> {
    const c = this.keyFor(before)?.[0] ?? presentColumns(this.t, before)[0] as string;
    return [[c, this.id(c)]];
  }

  private assign(before: RowImage, sets: Array<[string, Buffer]>): Buffer {
    const parts: Buffer[] = [];
    sets.forEach(([c, v], i) => {
      if (i) parts.push(COMMA);
      parts.push(this.id(c), EQ, v);
    });
    return Buffer.concat([ascii('UPDATE '), this.target, ascii(' SET '), ...parts, ascii(' WHERE '),
      this.match(before)]);
  }

  /**
   * A row whose statement would not fit in a packet, as a first image with its largest
   * values emptied and those values in chunks of at most `chunkBytes` (appended with
   * CONCAT). Null when a value cannot be split (a type other than text/binary, or a
   * multi-byte character set whose boundaries the bytes do not show).
   */
  split(row: RowImage, chunkBytes: number): { first: RowImage; parts: Array<[string, Buffer[]]> } | null {
    const first: RowImage = { ...row };
    const parts: Array<[string, Buffer[]]> = [];
    for (const c of presentColumns(this.t, row)) {
      const v = row[c];
      if (!Buffer.isBuffer(v) || v.length <= chunkBytes) continue;
      const col = this.byName.get(c);
      const chunks = col ? chunk(col, v, chunkBytes) : null;
      if (!chunks) return null;
      first[c] = Buffer.alloc(0);
      parts.push([c, chunks]);
    }
    return parts.length ? { first, parts } : null;
  }

  delete(before: RowImage): Buffer {
    return Buffer.concat([ascii('DELETE FROM '), this.target, ascii(' WHERE '), this.match(before)]);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b || (a !== null && b !== null && typeof a !== 'object' && String(a) === String(b));
}

const SPLITTABLE: ReadonlySet<string> = new Set([...TEXT_TYPES, 'json', ...BLOB_TYPES]);

/**
 * Cut points that never split a character: any byte for single-byte and binary data, UTF-8 and
 * UCS/UTF-16/32 by their rules.
 */
function chunk(col: ColumnInfo, v: Buffer, size: number): Buffer[] | null {
  if (!SPLITTABLE.has(col.dataType)) return null;
  const cs = col.charset ?? 'binary';
  const step = /^(ucs2|utf16le|utf16)$/.test(cs) ? 2 : cs === 'utf32' ? 4 : 1;
  const multi = !['binary', 'latin1', 'latin2', 'latin5', 'latin7', 'ascii', 'cp1250', 'cp1251', 'cp1256', 'cp1257',
    'cp850', 'cp852', 'cp866', 'koi8r', 'koi8u', 'greek', 'hebrew', 'tis620', 'swe7', 'dec8', 'hp8', 'keybcs2', 'macce',
    'macroman', 'armscii8', 'geostd8', 'ucs2', 'utf16', 'utf16le', 'utf32', 'utf8mb3', 'utf8mb4', 'utf8'].includes(cs);
  if (multi) return null;
  const out: Buffer[] = [];
  let at = 0;
  while (at < v.length) {
    let end = Math.min(v.length, at + size - (size % step));
    if (cs.startsWith('utf8')) while (end < v.length && end > at && ((v[end] as number) & 0xc0) === 0x80) end--;
    if (/^utf16/.test(cs) && end < v.length) {
      const hi = cs === 'utf16le' ? (v[end - 1] as number) : (v[end - 2] as number); // a high surrogate before the cut
      if (hi >= 0xd8 && hi <= 0xdb) end -= 2;
    }
    out.push(v.subarray(at, end));
    at = end;
  }
  return out;
}

/**
 * A key value read from the source through a utf8mb4 session (JS string for text) as a
 * literal compared in the column's own character set and collation, the order keyset
 * pagination used on the source.
 */
export function keyLiteral(column: ColumnInfo | undefined, v: unknown): Buffer {
  if (typeof v === 'string' && column?.charset && STRING_TYPES.has(column.dataType)) {
    const utf8 = Buffer.concat([ascii('_utf8mb4'), quoteBytes(Buffer.from(v, 'utf8'))]);
    return Buffer.concat([ascii('CONVERT('), utf8, ascii(` USING ${column.charset})`),
      ascii(column.collation ? ` COLLATE ${column.collation}` : '')]);
  }
  return literal(column, v, true);
}

/**
 * `key > from AND key <= to` (null bounds open) as bytes, expanded like row-sql's keyAfter
 * (a > ? OR (a = ? AND b > ?) ...) so source and target compare the same way.
 */
export function keyRangeBytes(t: TableInfo, from: unknown[] | null, to: unknown[] | null): Buffer {
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  const after = (last: unknown[]): Buffer => {
    const ors = t.key.map((col, i) => {
      const parts = t.key.slice(0, i)
        .map((c, k) => Buffer.concat([Buffer.from(`${quoteId(c)} = `, 'utf8'), keyLiteral(byName.get(c), last[k])]));
      parts.push(Buffer.concat([Buffer.from(`${quoteId(col)} > `, 'utf8'), keyLiteral(byName.get(col), last[i])]));
      return Buffer.concat([ascii('('), join(parts, ' AND '), ascii(')')]);
    });
    return ors.length === 1 ? ors[0] as Buffer : Buffer.concat([ascii('('), join(ors, ' OR '), ascii(')')]);
  };
  const parts: Buffer[] = [];
  if (from) parts.push(after(from));
  if (to) parts.push(Buffer.concat([ascii('NOT '), after(to)]));
  return parts.length ? join(parts, ' AND ') : ascii('1 = 1');
}

function join(parts: Buffer[], sep: string): Buffer {
  const s = ascii(sep);
  return Buffer.concat(parts.flatMap((p, i) => (i ? [s, p] : [p])));
}
