/**
 * The binlog decoder itself (@vlasky/zongji as patched by patches/@vlasky+zongji+0.9.0.patch),
 * read directly, not through db-sync: edge values of every column type are written on the
 * binlog source, the resulting row events are decoded by zongji (default mode and
 * `exactValues: true`), and every decoded value is compared with the server's own rendering
 * of the same stored value (CAST(col AS CHAR), CONVERT(col USING utf8mb4), CAST(col AS BINARY),
 * col+0, HEX(col), or an equality test run on the server). Nothing here is a hard-coded
 * expected value except where the server cannot render one (the MINIMAL-image layout).
 * See docs/upstream/zongji-patch.md for what each block proves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import { createContext, type TestContext } from '../helpers/context.js';

type Row = Record<string, unknown>;
interface Captured { name: string; table?: string; rows?: unknown[]; columnsPresent?: string[]; columnsPresentAfter?: string[]; query?: string; queryBuffer?: Buffer; statusVarsBuffer?: Buffer; statusVars?: string; statusVarsLength?: number; }

const BIT_WIDTHS = Array.from({ length: 64 }, (_, i) => i + 1);
const SET64 = Array.from({ length: 64 }, (_, i) => `m${i}`);
const SET40 = Array.from({ length: 40 }, (_, i) => `n${i}`);

const NUM_TABLE = `CREATE TABLE t_num (
  id INT PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
  i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  d65 DECIMAL(65,30), d10 DECIMAL(10,0), f FLOAT, d DOUBLE, y YEAR,
  ${BIT_WIDTHS.map((w) => `b${w} BIT(${w})`).join(', ')}
)`;
const INT_COLS = ['ti', 'tiu', 'si', 'siu', 'mi', 'miu', 'i', 'iu', 'bi', 'biu'];
const NUM_ROWS: Array<Record<string, string>> = [
  { ti: '-128', tiu: '255', si: '-32768', siu: '65535', mi: '-8388608', miu: '16777215', i: '-2147483648', iu: '4294967295',
    bi: '-9223372036854775808', biu: '18446744073709551615', d65: `'-${'9'.repeat(35)}.${'9'.repeat(30)}'`, d10: '-9999999999',
    f: '-3.40282e38', d: '-1.7976931348623157e308', y: '1901' },
  { ti: '127', tiu: '0', si: '32767', siu: '0', mi: '8388607', miu: '0', i: '2147483647', iu: '0',
    bi: '9223372036854775807', biu: '0', d65: `'${'9'.repeat(35)}.${'9'.repeat(30)}'`, d10: '9999999999',
    f: '1.17549e-38', d: '2.2250738585072014e-308', y: '2155' },
  { ti: '0', tiu: '1', si: '0', siu: '1', mi: '0', miu: '1', i: '0', iu: '1', bi: '0', biu: '9007199254740993',
    d65: "'0.000000000000000000000000000001'", d10: '0', f: '-0e0', d: '-0e0', y: '0' },
  { ti: '-1', tiu: '128', si: '-1', siu: '32768', mi: '-1', miu: '8388608', i: '-1', iu: '2147483648',
    bi: '-9007199254740993', biu: '9223372036854775808', d65: "'-0.5'", d10: '-1', f: '0.1', d: '0.1', y: '2000' },
  { ti: '1', tiu: '2', si: '2', siu: '3', mi: '4', miu: '5', i: '6', iu: '7', bi: '9007199254740991', biu: '9007199254740992',
    d65: "'-12345678901234567890123456789012345.123456789012345678901234567890'", d10: '-1234567890',
    f: '3.40282e38', d: '4.9e-324', y: '1970' },
];

const TEMPORAL_PRECISIONS = [0, 1, 2, 3, 4, 5, 6];
const TIME_TABLE = `CREATE TABLE t_time (
  id INT PRIMARY KEY, d DATE NULL,
  ${TEMPORAL_PRECISIONS.map((p) => `dt${p} DATETIME(${p}) NULL, ts${p} TIMESTAMP(${p}) NULL, tm${p} TIME(${p}) NULL`).join(',\n  ')}
)`;
/** [DATE, DATETIME, TIMESTAMP, TIME] literals per row; the server rounds/truncates per column. */
const TIME_ROWS: Array<[string | null, string | null, string | null, string | null]> = [
  ['0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '00:00:00'],
  ['2024-00-15', '2024-00-15 10:20:30.123456', '1970-01-01 00:00:01', '-00:00:00.5'],
  ['2024-02-00', '2024-02-00 00:00:00', '2038-01-19 03:14:07.999999', '-838:59:59'],
  ['1000-01-01', '1000-01-01 00:00:00', '1970-01-01 00:00:00.000001', '-12:30:00.000001'],
  ['9999-12-31', '9999-12-31 23:59:59.999999', '2000-02-29 23:59:59.5', '838:59:59.000000'],
  [null, '2000-01-01 00:00:00.000001', '2001-09-09 01:46:40.123456', '-00:01:00'],
  [null, '2024-06-30 12:00:00.654321', null, '-01:00:00'],
  [null, null, null, '-00:00:59.999999'],
  [null, null, null, '-838:59:59.000000'],
  [null, null, null, '00:00:00.000001'],
];

const CS_COLUMNS: Array<[string, string]> = [
  ['l1_vc', 'VARCHAR(300) CHARACTER SET latin1'], ['l1_ch', 'CHAR(200) CHARACTER SET latin1'],
  ['l1_tx', 'TEXT CHARACTER SET latin1'], ['cp1250_vc', 'VARCHAR(60) CHARACTER SET cp1250'],
  ['sjis_vc', 'VARCHAR(60) CHARACTER SET sjis'], ['u4_vc', 'VARCHAR(60) CHARACTER SET utf8mb4'],
  ['u4_tx', 'MEDIUMTEXT CHARACTER SET utf8mb4'], ['ucs2_vc', 'VARCHAR(60) CHARACTER SET ucs2'],
  ['nopad_vc', 'VARCHAR(300) CHARACTER SET latin1 COLLATE latin1_nopad_bin'],
  ['uca_ucs2_vc', 'VARCHAR(60) CHARACTER SET ucs2 COLLATE ucs2_uca1400_ai_ci'],
  ['uca_u4_vc', 'VARCHAR(60) CHARACTER SET utf8mb4 COLLATE utf8mb4_uca1400_as_cs'],
  ['comp_vc', 'VARCHAR(300) CHARACTER SET latin1 COMPRESSED'], ['comp_tx', 'TEXT CHARACTER SET utf8mb4 COMPRESSED'],
];
const STR_TABLE = `CREATE TABLE t_str (
  id INT PRIMARY KEY,
  ${CS_COLUMNS.map(([n, t]) => `${n} ${t} NULL`).join(',\n  ')},
  e ENUM('', 'a', 'b') NULL, e_l1 ENUM('caf\u00e9', 'x') CHARACTER SET latin1 NULL,
  s64 SET(${SET64.map((m) => `'${m}'`).join(',')}) NULL, s40 SET(${SET40.map((m) => `'${m}'`).join(',')}) NULL,
  g GEOMETRY NULL
) DEFAULT CHARSET=utf8mb4`;
const HIGH_BYTES = `X'${Array.from({ length: 128 }, (_, i) => (i + 0x80).toString(16)).join('')}'`;
const STR_ROWS: Array<Record<string, string>> = [
  { l1_vc: HIGH_BYTES, l1_ch: HIGH_BYTES, l1_tx: HIGH_BYTES, nopad_vc: HIGH_BYTES, comp_vc: `CONCAT(REPEAT('z', 100), ${HIGH_BYTES})`,
    cp1250_vc: "CONVERT(_utf8mb4'P\u0159\u00edli\u0161 \u017elu\u0165ou\u010dk\u00fd k\u016f\u0148 \u20ac' USING cp1250)",
    sjis_vc: "CONVERT(_utf8mb4'\u30c6\u30b9\u30c8 \uff83\uff7d\uff84 \u6f22\u5b57' USING sjis)",
    u4_vc: "_utf8mb4'\u{1F600} \u{1D11E} \u6f22\u5b57 caf\u00e9'", u4_tx: "REPEAT(_utf8mb4'\u{1F600}\u00e9x', 50)",
    ucs2_vc: "CONVERT(_utf8mb4'\u03a9mega \u2713 \u00e9' USING ucs2)", uca_ucs2_vc: "CONVERT(_utf8mb4'\u00c5ngstr\u00f6m \u2713' USING ucs2)",
    uca_u4_vc: "_utf8mb4'\u{1F600} Stra\u00dfe'", comp_tx: "REPEAT(_utf8mb4'compressible \u{1F600} ', 40)",
    e: "'a'", e_l1: "'caf\u00e9'", s64: `'${SET64.join(',')}'`, s40: `'${SET40.join(',')}'`,
    g: "ST_GeomFromText('LINESTRING(0 0, 1 1, 2 -3.5)', 4326)" },
  { l1_vc: "X'81'", l1_ch: "X'8D8F909D'", l1_tx: "X'E9'", nopad_vc: "X'8190'", comp_vc: "X'9D'",
    cp1250_vc: "''", sjis_vc: "''", u4_vc: "''", u4_tx: "''", ucs2_vc: "''", uca_ucs2_vc: "''", uca_u4_vc: "''", comp_tx: "''",
    e: "'zzz-not-a-member'", e_l1: "'x'", s64: "'m63'", s40: "'n39,n32,n0'", g: "ST_GeomFromText('POINT(1.5 -2.25)', 0)" },
  { l1_vc: "'trailing  '", l1_ch: "'pad  '", e: "''", s64: "'m0,m31,m32'", s40: "''",
    g: "ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0))', 3857)" },
  { s64: "'m62,m63'", s40: "'n31'" },
];

const MARKER = 'zz_marker';

async function masterPosition(c: mysql.Connection): Promise<{ file: string; pos: number }> {
  const [rows] = await c.query('SHOW MASTER STATUS');
  const r = (rows as Array<{ File: string; Position: number | string }>)[0]!;
  return { file: r.File, pos: Number(r.Position) };
}

/** Reads the binlog from `from` through zongji until the marker table's insert; returns the decoded events. */
function capture(port: number, schema: string, from: { file: string; pos: number }, exactValues: boolean): Promise<Captured[]> {
  return new Promise((resolve, reject) => {
    const zj = new ZongJi({
      host: '127.0.0.1', port, user: 'root', password: '', charset: 'utf8mb4_general_ci',
      timezone: 'Z', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, jsonStrings: true,
    });
    const events: Captured[] = [];
    const timer = setTimeout(() => { zj.stop(); reject(new Error(`marker not seen; got ${events.length} events`)); }, 60_000);
    zj.on('error', (err: Error) => { clearTimeout(timer); zj.stop(); reject(err); });
    zj.on('binlog', (e: AnyBinlogEvent) => {
      const name = e.getEventName();
      const ev = e as unknown as Captured & { tableMap: Record<number, { tableName: string }>; tableId: number };
      if (name === 'query') {
        events.push({ name, query: ev.query, queryBuffer: ev.queryBuffer, statusVarsBuffer: ev.statusVarsBuffer,
          statusVars: ev.statusVars, statusVarsLength: ev.statusVarsLength });
        return;
      }
      const table = ev.tableMap?.[ev.tableId]?.tableName;
      events.push({ name, table, rows: ev.rows, columnsPresent: ev.columnsPresent, columnsPresentAfter: ev.columnsPresentAfter });
      if (table === MARKER) { clearTimeout(timer); zj.stop(); resolve(events); }
    });
    zj.start({
      serverId: 1000 + Math.floor(Math.random() * 100000), filename: from.file, position: from.pos,
      includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows', 'query'], includeSchema: { [schema]: true },
      ...(exactValues ? { exactValues: true } : {}),
    } as Parameters<ZongJi['start']>[0]);
  });
}

function insertedRows(events: Captured[], table: string): Row[] {
  return events.filter((e) => e.name === 'writerows' && e.table === table).flatMap((e) => e.rows as Row[]);
}

function byId(rows: Row[]): Map<number, Row> {
  return new Map(rows.map((r) => [Number(r.id), r]));
}

/** Compares decoded rows with server rows; returns readable mismatches (empty when all agree). */
function mismatches(decoded: Map<number, Row>, server: Row[], cols: string[], norm: (col: string, v: unknown) => unknown): string[] {
  const out: string[] = [];
  for (const s of server) {
    const d = decoded.get(Number(s.id));
    if (!d) { out.push(`id ${String(s.id)}: row not decoded`); continue; }
    for (const c of cols) {
      const want = s[c] === null ? null : s[c];
      const got = d[c] === null || d[c] === undefined ? d[c] : norm(c, d[c]);
      if (!Object.is(want, got) && JSON.stringify(want) !== JSON.stringify(got)) {
        out.push(`id ${String(s.id)} ${c}: decoded ${JSON.stringify(got)} (${typeof d[c]}), server ${JSON.stringify(want)}`);
      }
    }
  }
  return out;
}

function hex(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('hex') : `<not a Buffer: ${JSON.stringify(v)}>`;
}

describe('binlog decoder (@vlasky/zongji with patches/@vlasky+zongji+0.9.0.patch)', () => {
  let t: TestContext;
  let plain: Captured[];
  let exact: Captured[];
  let ddlWithLatin1Comment: Buffer;

  beforeAll(async () => {
    t = await createContext('zjdec');
    const c = t.source;
    await c.query("SET SESSION sql_mode = '', time_zone = '+00:00'");
    await c.query(NUM_TABLE);
    await c.query(TIME_TABLE);
    await c.query(STR_TABLE);
    await c.query('CREATE TABLE t_min (id INT PRIMARY KEY, a INT, b VARCHAR(20), c TEXT)');
    await c.query(`CREATE TABLE ${MARKER} (id INT PRIMARY KEY)`);
    const start = await masterPosition(c);

    for (const [n, r] of NUM_ROWS.entries()) {
      const cols = Object.keys(r);
      const bits = BIT_WIDTHS.map((w) => (n === 0 ? `b'${'1'.repeat(w)}'` : n === 1 ? "b'0'" : n === 2 ? `b'1${'0'.repeat(w - 1)}'` : `b'${'10'.repeat(w).slice(0, w)}'`));
      await c.query(`INSERT INTO t_num (id, ${cols.join(', ')}, ${BIT_WIDTHS.map((w) => `b${w}`).join(', ')}) VALUES (${n + 1}, ${cols.map((k) => r[k]).join(', ')}, ${bits.join(', ')})`);
    }
    for (const [n, [d, dt, ts, tm]] of TIME_ROWS.entries()) {
      const lit = (v: string | null) => (v === null ? 'NULL' : `'${v}'`);
      await c.query(`INSERT INTO t_time VALUES (${n + 1}, ${lit(d)}, ${TEMPORAL_PRECISIONS.map(() => `${lit(dt)}, ${lit(ts)}, ${lit(tm)}`).join(', ')})`);
    }
    for (const [n, r] of STR_ROWS.entries()) {
      const cols = Object.keys(r);
      await c.query(`INSERT INTO t_str (id, ${cols.join(', ')}) VALUES (${n + 1}, ${cols.map((k) => r[k]).join(', ')})`);
    }

    // Partial row images: the session, not the server, asks for MINIMAL
    await c.query("INSERT INTO t_min VALUES (1, 10, 'bee', 'sea'), (2, 20, NULL, 'two')");
    await c.query("SET SESSION binlog_row_image = 'MINIMAL'");
    await c.query('UPDATE t_min SET a = 11 WHERE id = 1');
    await c.query("UPDATE t_min SET b = 'set', a = NULL WHERE id = 2");
    await c.query('DELETE FROM t_min WHERE id = 1');
    await c.query("SET SESSION binlog_row_image = 'FULL'");

    // A statement in latin1 (character_set_client), with byte 0xE9 in its text
    const l1 = await mysql.createConnection({ host: '127.0.0.1', port: t.ports.source, user: 'root', database: t.sourceDb, charset: 'latin1_swedish_ci' });
    const ddl = "CREATE TABLE t_comment (id INT PRIMARY KEY) COMMENT 'caf\u00e9 latin1'";
    await l1.query(ddl);
    await l1.end();
    ddlWithLatin1Comment = Buffer.from(ddl, 'latin1');

    await c.query(`INSERT INTO ${MARKER} VALUES (1)`);
    [plain, exact] = await Promise.all([
      capture(t.ports.source, t.sourceDb, start, false),
      capture(t.ports.source, t.sourceDb, start, true),
    ]);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('decodes integers, DECIMAL, YEAR as the server renders them (CAST AS CHAR)', async () => {
    const cols = [...INT_COLS, 'd65', 'd10', 'y'];
    const [server] = await t.source.query(`SELECT id, ${cols.map((c) => `CAST(${c} AS CHAR) AS ${c}`).join(', ')} FROM t_num`);
    const norm = (col: string, v: unknown) => (col === 'y' ? String(v).padStart(4, '0') : String(v));
    expect(mismatches(byId(insertedRows(plain, 't_num')), server as Row[], cols, norm)).toEqual([]);
  });

  it('decodes FLOAT/DOUBLE to the exact stored value, sign of zero included (checked on the server)', async () => {
    const out: string[] = [];
    for (const r of insertedRows(plain, 't_num')) {
      for (const col of ['f', 'd']) {
        const v = r[col] as number;
        const [rows] = await t.source.query(`SELECT ${col} = ? AS same, CAST(${col} AS CHAR) AS txt FROM t_num WHERE id = ?`, [v, r.id]);
        const s = (rows as Array<{ same: number; txt: string }>)[0]!;
        const negative = Object.is(v, -0) || v < 0;
        if (s.same !== 1 || negative !== s.txt.startsWith('-')) out.push(`id ${String(r.id)} ${col}: decoded ${Object.is(v, -0) ? '-0' : String(v)}, server ${s.txt}`);
      }
    }
    expect(out).toEqual([]);
  });

  it('decodes BIT(1..64) to the stored bytes (value checked with CAST AS UNSIGNED)', async () => {
    const cols = BIT_WIDTHS.map((w) => `b${w}`);
    const [server] = await t.source.query(`SELECT id, ${cols.map((c) => `CAST(CAST(${c} AS UNSIGNED) AS CHAR) AS ${c}`).join(', ')} FROM t_num`);
    const norm = (col: string, v: unknown) => {
      const width = Number(col.slice(1));
      if (!Buffer.isBuffer(v) || v.length !== Math.ceil(width / 8)) return `<${v?.constructor?.name} of ${(v as Buffer).length}>`;
      return BigInt(`0x${v.toString('hex') || '0'}`).toString();
    };
    expect(mismatches(byId(insertedRows(plain, 't_num')), server as Row[], cols, norm)).toEqual([]);
  });

  it('decodes DATE/DATETIME/TIMESTAMP/TIME (precisions 0..6, zero and negative values) as CAST AS CHAR', async () => {
    const cols = ['d', ...TEMPORAL_PRECISIONS.flatMap((p) => [`dt${p}`, `ts${p}`, `tm${p}`])];
    await t.source.query("SET SESSION time_zone = '+00:00'");
    const [server] = await t.source.query(`SELECT id, ${cols.map((c) => `CAST(${c} AS CHAR) AS ${c}`).join(', ')} FROM t_time`);
    expect(mismatches(byId(insertedRows(plain, 't_time')), server as Row[], cols, (_c, v) => v)).toEqual([]);
  });

  it('decodes text in each column charset (latin1 high bytes, cp1250, sjis, utf8mb4, ucs2, NOPAD, uca1400, COMPRESSED)', async () => {
    const cols = CS_COLUMNS.map(([n]) => n);
    const [server] = await t.source.query(`SELECT id, ${cols.map((c) => `CONVERT(${c} USING utf8mb4) AS ${c}`).join(', ')} FROM t_str`);
    expect(mismatches(byId(insertedRows(plain, 't_str')), server as Row[], cols, (_c, v) => v)).toEqual([]);
  });

  it('decodes ENUM (index 0 reads as \'\') and SET (64 and 40 members) as CAST AS CHAR', async () => {
    const cols = ['e', 'e_l1', 's64', 's40'];
    const [server] = await t.source.query(`SELECT id, ${cols.map((c) => `CONVERT(${c} USING utf8mb4) AS ${c}`).join(', ')} FROM t_str`);
    expect(mismatches(byId(insertedRows(plain, 't_str')), server as Row[], cols, (_c, v) => v)).toEqual([]);
  });

  it('keeps GEOMETRY as the stored SRID+WKB bytes (HEX of the column)', async () => {
    const [server] = await t.source.query('SELECT id, LOWER(HEX(g)) AS g FROM t_str');
    expect(mismatches(byId(insertedRows(plain, 't_str')), server as Row[], ['g'], (_c, v) => hex(v))).toEqual([]);
  });

  it('exactValues: text columns are Buffers of the stored bytes (CAST AS BINARY)', async () => {
    const cols = CS_COLUMNS.map(([n]) => n);
    const [server] = await t.source.query(`SELECT id, ${cols.map((c) => `LOWER(HEX(CAST(${c} AS BINARY))) AS ${c}`).join(', ')} FROM t_str`);
    expect(mismatches(byId(insertedRows(exact, 't_str')), server as Row[], cols, (_c, v) => hex(v))).toEqual([]);
  });

  it('exactValues: ENUM is its index (0 = error value), SET its bitmask (col+0), exact beyond 2^53', async () => {
    const cols = ['e', 'e_l1', 's64', 's40'];
    // col+0 is a signed BIGINT on MariaDB (a 64-member SET with m63 reads negative): CAST to UNSIGNED
    const [server] = await t.source.query(`SELECT id, ${cols.map((c) => `CAST(CAST(${c} + 0 AS UNSIGNED) AS CHAR) AS ${c}`).join(', ')} FROM t_str`);
    const norm = (_c: string, v: unknown) => (typeof v === 'number' || typeof v === 'string' ? String(v) : `<${typeof v}>`);
    const rows = byId(insertedRows(exact, 't_str'));
    expect(mismatches(rows, server as Row[], cols, norm)).toEqual([]);
    expect(typeof rows.get(1)!.e).toBe('number');
  });

  it('exactValues: every other type decodes exactly as in the default mode', () => {
    const strip = (rows: Row[], drop: string[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k))));
    expect(insertedRows(exact, 't_num')).toEqual(insertedRows(plain, 't_num'));
    expect(insertedRows(exact, 't_time')).toEqual(insertedRows(plain, 't_time'));
    const textish = [...CS_COLUMNS.map(([n]) => n), 'e', 'e_l1', 's64', 's40'];
    expect(strip(insertedRows(exact, 't_str'), textish)).toEqual(strip(insertedRows(plain, 't_str'), textish));
  });

  it('partial row images (binlog_row_image=MINIMAL): absent columns are absent, not NULL', () => {
    const updates = plain.filter((e) => e.name === 'updaterows' && e.table === 't_min');
    const deletes = plain.filter((e) => e.name === 'deleterows' && e.table === 't_min');
    expect(updates).toHaveLength(2);
    const [u1, u2] = updates.map((e) => ({ ...e, row: (e.rows as Array<{ before: Row; after: Row }>)[0]! }));
    expect(u1!.columnsPresent).toEqual(['id']);
    expect(u1!.columnsPresentAfter).toEqual(['a']);
    expect(u1!.row.before).toStrictEqual({ id: 1 });
    expect(u1!.row.after).toStrictEqual({ a: 11 });
    expect(u2!.columnsPresentAfter).toEqual(['a', 'b']);
    expect(u2!.row.after).toStrictEqual({ a: null, b: 'set' });
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.columnsPresent).toEqual(['id']);
    expect(deletes[0]!.rows).toStrictEqual([{ id: 1 }]);
    // FULL images name every column
    const full = plain.find((e) => e.name === 'writerows' && e.table === 't_min')!;
    expect(full.columnsPresent).toEqual(['id', 'a', 'b', 'c']);
    expect(full.rows![1]).toStrictEqual({ id: 2, a: 20, b: null, c: 'two' });
  });

  it('query events keep the exact statement bytes (latin1 client) and raw status variables', () => {
    const q = plain.find((e) => e.name === 'query' && e.query?.includes('t_comment'));
    expect(q, 'the DDL query event').toBeDefined();
    expect(Buffer.isBuffer(q!.queryBuffer)).toBe(true);
    expect(q!.queryBuffer!.includes(ddlWithLatin1Comment)).toBe(true);
    expect(q!.queryBuffer!.includes(Buffer.from([0xc3, 0xa9]))).toBe(false);
    expect(Buffer.isBuffer(q!.statusVarsBuffer)).toBe(true);
    expect(q!.statusVarsBuffer!.length).toBe(q!.statusVarsLength);
    // Q_CHARSET_CODE (4): client charset id 8 (latin1_swedish_ci), connection and server collations
    const at = q!.statusVarsBuffer!.indexOf(Buffer.from([4, 8, 0]));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(q!.statusVars).toBe(q!.statusVarsBuffer!.toString('utf8'));
  });
});
