/**
 * The initial copy, consistent with the binlog position the stream starts from.
 *
 * Invariant kept in the target (and committed with every chunk): the stream checkpoint S
 * and, per table, the copied key range. Tables marked done and the copied range of the
 * table in progress equal the source at S; everything else of those tables is absent.
 *
 * A (re)start opens a new consistent read at P (startConsistentSnapshot). If S < P (a
 * resumed snapshot: the old consistent read died with the process) the caller first streams
 * S..P: exact apply for done tables, idempotent delete+insert by key for the table in
 * progress, nothing for tables not started. Then every remaining range is copied from the
 * read at P, each chunk replacing exactly its own key range (DELETE range + INSERT) in one
 * target transaction with its progress. At the end all tables equal the source at P and
 * streaming continues from P: nothing missed, nothing applied twice.
 */
import type { Db } from '../db/connection.js';
import { quoteId, quoteQualified } from '../db/quote.js';
import type { Logger } from '../log.js';
import type { ChunkWriter } from './chunk-writer.js';
import {
  enumZeroExpr, loadDataSql, selectLiteralChunk, selectPageEnd, selectTsvBlock, selectTsvChunk, tsvFieldExpr, tupleExpr,
} from '../db/row-sql.js';
import { RowBudget } from '../db/row-budget.js';
import { keyRangeBytes } from '../db/row-bytes.js';
import type { TableInfo } from '../db/table-info.js';

export interface TableProgress {
  done: boolean;
  /** Last copied key (JSON-safe encoding, see encodeKey). */
  lastKey: unknown[] | null;
  rows: number;
  /**
   * In memory only: the table's key ranges, each with its own checkpoint row
   * (snapshot-ranges.ts); when present they, not the fields above, say what was copied.
   */
  ranges?: RangeProgress[];
}

/** A key range of a table and its progress (snapshot-ranges.ts). */
export interface RangeProgress extends TableProgress {
  table: string;
  index: number;
  /** Exclusive lower bound (encoded key); null: the table's first key. */
  lo: unknown[] | null;
  /** Inclusive upper bound (encoded key); null: the table's last key. */
  hi: unknown[] | null;
}

export interface SnapshotState {
  tables: Record<string, TableProgress>;
  startedAt: string;
  /**
   * Only the listed tables are copied (tables that entered the pair's scope, or --recopy);
   * the others are in sync already. Without it every table of the pair is copied.
   */
  partial?: boolean;
}

export interface CopyOptions {
  source: Db;
  writer: ChunkWriter;
  /** Progress of the key range being copied: advanced per chunk and committed with it (`checkpoints`). */
  progress: TableProgress;
  /** The range's bounds (encoded keys): lo exclusive, hi inclusive, null = the table's start / end. */
  range: { lo: unknown[] | null; hi: unknown[] | null };
  /** Source table description (columns read, key). */
  table: TableInfo;
  /** The target table's description (key columns' character sets for the range DELETE). */
  targetTable: TableInfo;
  targetSchema: string;
  /** Rows of the first chunk (and of every chunk when chunkBytes is 0). */
  chunkRows: number;
  /** Rows of the range's first chunk instead, when chunks are sized by bytes (see parallel-copy.ts). */
  firstRows?: number;
  /** Later chunks: as many rows as render to about this many bytes (the last chunk's bytes per row). */
  chunkBytes: number;
  /** Load chunks with LOAD DATA LOCAL INFILE (the target allows it) instead of INSERTs. */
  loadData: boolean;
  /** Checkpoint rows to write with each chunk: the range's own progress, nothing another loader advances. */
  checkpoints: () => Array<[string, unknown]>;
  onChunk: (rows: number) => void;
  logger: Logger;
  signal: AbortSignal;
  /** Awaited before each chunk's read (the source-load throttle); never inside a chunk. */
  gate?: () => Promise<void>;
  /** The key's MAX in the read when the split found it a dense integer key (Split.denseMax). */
  denseMax?: string | null;
}

const MAX_STATEMENT_BYTES = 4 << 20;
const MAX_CHUNK_ROWS = 1_000_000;

/** Buffers survive the JSON checkpoint as {"$hex": ...}. */
export function encodeKey(values: unknown[]): unknown[] {
  return values.map((v) => (Buffer.isBuffer(v) ? { $hex: v.toString('hex') } : v));
}

export function decodeKey(values: unknown[]): unknown[] {
  return values.map((v) => (v && typeof v === 'object' && '$hex' in v
    ? Buffer.from(String((v as { $hex: string }).$hex), 'hex') : v));
}

/**
 * Multi-row INSERT texts of at most ~4 MB each (max_allowed_packet is 16 MB by default)
 * from VALUES tuples rendered by the source (selectLiteralChunk).
 */
export function insertBatches(target: string, cols: string[], tuples: string[]): string[] {
  const head = `INSERT INTO ${target} (${cols.map(quoteId).join(', ')}) VALUES `;
  const out: string[] = [];
  let parts: string[] = [];
  let size = head.length;
  for (const tuple of tuples) {
    if (parts.length > 0 && size + tuple.length > MAX_STATEMENT_BYTES) {
      out.push(head + parts.join(','));
      parts = [];
      size = head.length;
    }
    parts.push(tuple);
    size += tuple.length + 1;
  }
  if (parts.length) out.push(head + parts.join(','));
  return out;
}

/**
 * The copy of one key range of a table, begun: its first chunk is being read from the moment
 * it is made, so a loader can start the read of its next range while it still loads the last
 * chunk of the current one (the range copy then begins without waiting for the source).
 */
export interface RangeCopy {
  /** Load the range chunk after chunk; `onLastRead` is called once its last read has returned. */
  run(onLastRead?: () => void): Promise<void>;
  /** Settles once the read begun at start has (for a copy that is dropped without run). */
  settled(): Promise<void>;
}

/** The copy of one key range of a table (the whole table when unsplit), chunk after chunk. */
export function copyTable(o: CopyOptions): Promise<void> {
  return startCopy(o).run();
}

export function startCopy(o: CopyOptions): RangeCopy {
  const p = o.progress;
  if (p.done) return { run: async (onLastRead) => onLastRead?.(), settled: async () => undefined };
  if (o.table.key.length === 0) {
    return {
      run: async (onLastRead) => { await copyKeyless(o, p); onLastRead?.(); },
      settled: async () => undefined,
    };
  }
  const keyIdx = o.table.key.map((_, i) => 2 + i);
  const target = quoteQualified(o.targetSchema, o.table.name);
  const hi = o.range.hi ? decodeKey(o.range.hi) : null;
  const firstRows = o.chunkBytes > 0 && o.firstRows ? o.firstRows : o.chunkRows;
  const budget = new RowBudget({ bytes: o.chunkBytes, maxRows: MAX_CHUNK_ROWS, first: firstRows });
  // chunks as one value while they fit what the source sends; a cut one is read row by row,
  // and so is the rest of the range (a row longer than max_allowed_packet, a small packet limit)
  let blocks = o.loadData && o.table.key.length === 1;
  // pages of a dense key end by arithmetic until one comes back much emptier than planned
  const arithmetic = { on: blocks && o.denseMax !== undefined && o.denseMax !== null };
  // Read chunk N+1 and build its INSERT text / LOAD DATA lines while the target executes
  // chunk N: the source link, our CPU and the target server then work at the same time.
  const read = async (from: unknown[] | null): Promise<Chunk> => {
    const n = budget.next();
    const block = blocks ? await readBlock(o, from, n, hi, arithmetic) : null;
    blocks &&= block !== null;
    if (block) {
      if (o.chunkBytes > 0) budget.seen(block.count, block.data?.length ?? 0);
      return block;
    }
    const st = (o.loadData ? selectTsvChunk : selectLiteralChunk)(o.table, from, n, hi);
    const rows = await o.source.arrays(st.sql, st.params);
    if (o.loadData) {
      for (const r of rows) if (r[0] === null) r[0] = await longLine(o.source, o.table, keyIdx.map((i) => r[i]));
    }
    const last = rows.length === n ? keyIdx.map((i) => (rows[rows.length - 1] as unknown[])[i]) : null;
    const enumZeros = rows.reduce((n: number, r) => n + Number(r[1] ?? 0), 0);
    const chunk: Chunk = o.loadData ? { count: rows.length, last, enumZeros, inserts: [], data: tsvData(rows) }
      : { count: rows.length, last, enumZeros,
        inserts: insertBatches(target, o.table.writable, rows.map((r) => String(r[0]))) };
    const bytes = chunk.data?.length ?? chunk.inserts.reduce((b, s) => b + s.length, 0);
    if (o.chunkBytes > 0) budget.seen(rows.length, bytes);
    return chunk;
  };
  // The next read waits for the throttle while the current chunk is written to the target.
  const gatedRead = (from: unknown[] | null) => (o.gate ? o.gate().then(() => read(from)) : read(from));
  const start = p.lastKey ? decodeKey(p.lastKey) : o.range.lo ? decodeKey(o.range.lo) : null;
  const first = gatedRead(start);
  first.catch(() => undefined); // awaited by run, or dropped (settled) when the copy is not run
  return {
    run: (onLastRead) => loadRange(o, first, start, gatedRead, onLastRead),
    settled: () => first.then(() => undefined, () => undefined),
  };
}

/**
 * Chunks a loader reads ahead of the one it loads (DB_SYNC_SNAPSHOT_READ_AHEAD, 1-4; default 2):
 * each read begins as soon as the one before it returned, and the loader holds this many
 * chunks besides the one loading. The loaders share the one reading connection: with two
 * reads queued per loader, one loader's read waiting behind the other's rarely leaves it
 * without a chunk (docs/data.md, "Parallel loading").
 */
const READ_AHEAD = Math.min(4, Math.max(1, Math.trunc(Number(process.env.DB_SYNC_SNAPSHOT_READ_AHEAD ?? 2)) || 2));

/** The rows of a range from its first read on: each chunk loaded while the next ones are read. */
async function loadRange(o: CopyOptions, first: Promise<Chunk>, start: unknown[] | null,
  gatedRead: (from: unknown[] | null) => Promise<Chunk>, onLastRead?: () => void): Promise<void> {
  const p = o.progress;
  const target = quoteQualified(o.targetSchema, o.table.name);
  const hi = o.range.hi ? decodeKey(o.range.hi) : null;
  const load = loadDataSql(o.table, target);
  let from = start;
  // null: the range has no more chunks (or the copy stops); the reads chain one after another
  let lastRead = false;
  const after = (c: Chunk | null): Promise<Chunk | null> | null => {
    if (c?.last && !o.signal.aborted) return gatedRead(c.last);
    if (!lastRead) { lastRead = true; onLastRead?.(); }
    return null;
  };
  let tail: Promise<Chunk | null> = first;
  const ahead: Array<Promise<Chunk | null>> = [first];
  const readNext = () => {
    tail = tail.then(after);
    tail.catch(() => undefined); // awaited below, or left behind by a failed load
    ahead.push(tail);
  };
  for (;;) {
    const chunk = await ahead.shift();
    if (!chunk) return;
    while (ahead.length < READ_AHEAD) readNext();
    const lastKey = chunk.last ? encodeKey(chunk.last) : p.lastKey;
    Object.assign(p, { rows: p.rows + chunk.count, lastKey, done: chunk.last === null });
    // One transaction, sent back to back: replace exactly this key range, record progress.
    const del = Buffer.concat([Buffer.from(`DELETE FROM ${target} WHERE `, 'utf8'),
      keyRangeBytes(o.targetTable, from, chunk.last ?? hi)]);
    const rows = { table: o.table.name, del, rows: chunk.count, enumZeros: chunk.enumZeros,
      checkpoints: o.checkpoints() };
    if (chunk.data) await o.writer.load(rows, load, chunk.data);
    else await o.writer.inserts(rows, chunk.inserts);
    o.onChunk(chunk.count);
    from = chunk.last;
    // stopping: the pending reads' outcome no longer matters, the chunk is redone on resume
    if (o.signal.aborted) { await tail.catch(() => undefined); return; }
  }
}

/**
 * A page as one value rendered by the source (selectTsvBlock): first the key that ends it
 * (pageEnd), then its rows as a key range. Null when the value came back cut.
 */
async function readBlock(o: CopyOptions, from: unknown[] | null, n: number, hi: unknown[] | null,
  arithmetic: { on: boolean }): Promise<Chunk | null> {
  const end = await pageEnd(o, from, n, hi, arithmetic.on);
  const st = selectTsvBlock(o.table, from, end.through);
  const [row] = await o.source.arrays(st.sql, st.params);
  const [data, count, zeros] = (row ?? []) as [Buffer | null, number, unknown];
  const rows = Number(count ?? 0);
  if (rows > 0 && (!Buffer.isBuffer(data) || !wholeLines(data, rows))) return null;
  // a sparse stretch of the key: find the next ends by OFFSET again
  if (end.byArithmetic && !end.last && rows < n / 4) arithmetic.on = false;
  return { count: rows, last: end.last ? null : end.through, enumZeros: Number(zeros ?? 0), inserts: [],
    data: rows ? data as Buffer : Buffer.alloc(0) };
}

/**
 * The key that ends a page of at most `n` rows after `from` (through), or the range's end
 * (last). A dense integer key (CopyOptions.denseMax) ends it at from + n, which holds at most n
 * keys, without reading anything; at or past the range's upper bound (the key's MAX for the
 * table's last range) the page is the range's last, open-ended when the range is. Otherwise
 * the key n rows on is read (selectPageEnd: an index scan of n entries).
 */
async function pageEnd(o: CopyOptions, from: unknown[] | null, n: number, hi: unknown[] | null,
  arithmetic: boolean): Promise<{ through: unknown[] | null; last: boolean; byArithmetic: boolean }> {
  const cap = hi ? hi[0] : o.denseMax;
  if (arithmetic && from && cap !== null && cap !== undefined) {
    const end = arithmeticEnd(from[0], n, cap);
    return end === null ? { through: hi, last: true, byArithmetic: true }
      : { through: [end], last: false, byArithmetic: true };
  }
  const st = selectPageEnd(o.table, from, n, hi);
  const [endRow] = await o.source.arrays(st.sql, st.params);
  return endRow ? { through: [endRow[0]], last: false, byArithmetic: false }
    : { through: hi, last: true, byArithmetic: false };
}

/**
 * from + n in the driver's type for that column (a number, or decimal text for BIGINT); null
 * when it reaches `cap`. Exact beyond 2^53: computed as a bigint.
 */
export function arithmeticEnd(from: unknown, n: number, cap: unknown): number | string | null {
  const end = BigInt(String(from)) + BigInt(Math.max(1, Math.floor(n)));
  if (end >= BigInt(String(cap))) return null;
  return typeof from === 'number' ? Number(end) : end.toString();
}

/**
 * Whether a block holds `rows` whole lines: '\n' ends every line and appears nowhere else
 * (tsvFieldExpr escapes it), so a value cut inside a line, even the last one, fails.
 */
export function wholeLines(data: Buffer, rows: number): boolean {
  if (data.length === 0 || data[data.length - 1] !== 10) return false;
  let ends = 0;
  for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) ends++;
  return ends === rows;
}

interface Chunk {
  count: number;
  enumZeros: number;
  /** Key of the chunk's last row; null for the table's final chunk. */
  last: unknown[] | null;
  inserts: string[];
  /** The rows as LOAD DATA lines (loadData mode). */
  data?: Buffer;
}

const LF = Buffer.from('\n');
const TAB = Buffer.from('\t');
const PIECE_BYTES = 2 << 20;

/**
 * The LOAD DATA line of a row whose rendering is longer than the source's max_allowed_packet
 * (the server then returns NULL for the whole line, or for a field): built here field by
 * field, a long value in pieces of its bytes, all read in the snapshot's consistent read.
 */
async function longLine(source: Db, table: TableInfo, key: unknown[]): Promise<Buffer> {
  const where = table.key.map((c) => `${quoteId(c)} = ?`).join(' AND ');
  const from = `FROM ${quoteQualified(table.schema, table.name)} WHERE ${where}`;
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const fields: Buffer[] = [];
  for (const name of table.writable) {
    const col = byName.get(name) ?? { name, dataType: '' };
    const [whole] = await source.arrays(`SELECT ${tsvFieldExpr(col)} ${from}`, key);
    if (whole?.[0] !== null && whole?.[0] !== undefined) { fields.push(asBuffer(whole[0])); continue; }
    const parts: Buffer[] = [];
    for (let offset = 1; ; offset += PIECE_BYTES) {
      const piece = { offset, length: PIECE_BYTES };
      const length = `LENGTH(SUBSTRING(CAST(${quoteId(name)} AS BINARY), ${offset}, ${PIECE_BYTES}))`;
      const [r] = await source.arrays(`SELECT ${tsvFieldExpr(col, piece)}, ${length} ${from}`, key);
      parts.push(asBuffer(r?.[0]));
      if (Number(r?.[1] ?? 0) < PIECE_BYTES) break;
    }
    fields.push(Buffer.concat(parts));
  }
  return Buffer.concat(fields.flatMap((f, i) => (i ? [TAB, f] : [f])));
}

function asBuffer(v: unknown): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(String(v ?? ''), 'binary');
}

/** LOAD DATA input from rows whose first column is a line rendered by tsvLineExpr (binary: Buffers). */
function tsvData(rows: unknown[][]): Buffer {
  const parts: Buffer[] = [];
  for (const r of rows) {
    const line = r[0];
    parts.push(Buffer.isBuffer(line) ? line : Buffer.from(String(line), 'binary'), LF);
  }
  return Buffer.concat(parts);
}

/** No key to page by: the whole table is replaced in one target transaction, streamed. */
async function copyKeyless(o: CopyOptions, p: TableProgress): Promise<void> {
  const target = quoteQualified(o.targetSchema, o.table.name);
  const from = quoteQualified(o.table.schema, o.table.name);
  const sql = `SELECT ${tupleExpr(o.table)}, ${enumZeroExpr(o.table)} FROM ${from}`;
  let count = 0;
  const batches = async function* (): AsyncGenerator<{ inserts: string[]; rows: number; enumZeros: number }> {
    let tuples: string[] = [];
    let zeros = 0;
    for await (const row of o.source.stream(sql)) {
      tuples.push(String(row[0]));
      zeros += Number(row[1] ?? 0);
      if (tuples.length >= o.chunkRows) {
        yield { inserts: insertBatches(target, o.table.writable, tuples), rows: tuples.length, enumZeros: zeros };
        o.onChunk(tuples.length);
        count += tuples.length;
        tuples = [];
        zeros = 0;
      }
    }
    if (tuples.length) {
      yield { inserts: insertBatches(target, o.table.writable, tuples), rows: tuples.length, enumZeros: zeros };
      o.onChunk(tuples.length);
      count += tuples.length;
    }
  };
  const del = Buffer.from(`DELETE FROM ${target}`, 'utf8');
  await o.writer.keyless({ table: o.table.name, del, rows: 0, enumZeros: 0, checkpoints: [] }, batches(), () => {
    Object.assign(p, { rows: count, lastKey: null, done: true });
    return o.checkpoints();
  });
}
