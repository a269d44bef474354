/**
 * MySQL binary JSON (the JSON column type of MySQL 5.7+, absent from MariaDB, whose JSON is
 * LONGTEXT) as decoded by the patched @vlasky/zongji with the mysql2 `jsonStrings: true`
 * option. No MySQL server runs here, so the documents are built byte by byte from the binary
 * layout of sql-common/json_binary.cc (encoder below), and the expected text is what MySQL's
 * Json_wrapper::to_string (sql-common/json_dom.cc) prints for them: ", " and ": " separators,
 * members in stored order, doubles via my_gcvt with ".0" for integral values, decimals
 * unquoted with their own scale, date/time opaques quoted with 6 fractional digits,
 * VAR_STRING opaques as plain strings, other opaques as "base64:type<N>:..." with MySQL's
 * newline every 76 base64 characters. The values go through zongji's own row-value entry point
 * (readMysqlValue) with a JSON column, exactly as a row event's would.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/context.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const LIB = path.join(ROOT, 'node_modules/@vlasky/zongji/lib');
const common: any = await import(pathToFileURL(path.join(LIB, 'common.js')).href);
const reader: any = await import(pathToFileURL(path.join(LIB, 'reader.js')).href);

// ---- encoder, from the json_binary.cc layout ------------------------------------------------
type J = null | boolean | string
  | { i16: number } | { u16: number } | { i32: number } | { u32: number } | { i64: bigint } | { u64: bigint } | { dbl: number }
  | { obj: Array<[string, J]>; large?: boolean } | { arr: J[]; large?: boolean } | { opaque: number; data: Buffer };

const T = { SOBJ: 0, LOBJ: 1, SARR: 2, LARR: 3, LIT: 4, I16: 5, U16: 6, I32: 7, U32: 8, I64: 9, U64: 10, DBL: 11, STR: 12, OPAQUE: 15 };

function varlen(n: number): Buffer {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return Buffer.from(out);
}

function le(bytes: number, v: number | bigint, signed = false): Buffer {
  const b = Buffer.alloc(bytes);
  if (bytes === 8) { if (signed) b.writeBigInt64LE(BigInt(v)); else b.writeBigUInt64LE(BigInt(v)); }
  else if (signed) b.writeIntLE(Number(v), 0, bytes);
  else b.writeUIntLE(Number(v), 0, bytes);
  return b;
}

/** [type, payload]: the payload is what follows the type byte (or what an offset points at). */
function enc(v: J): [number, Buffer] {
  if (v === null) return [T.LIT, Buffer.from([0])];
  if (v === true) return [T.LIT, Buffer.from([1])];
  if (v === false) return [T.LIT, Buffer.from([2])];
  if (typeof v === 'string') { const s = Buffer.from(v, 'utf8'); return [T.STR, Buffer.concat([varlen(s.length), s])]; }
  if ('i16' in v) return [T.I16, le(2, v.i16, true)];
  if ('u16' in v) return [T.U16, le(2, v.u16)];
  if ('i32' in v) return [T.I32, le(4, v.i32, true)];
  if ('u32' in v) return [T.U32, le(4, v.u32)];
  if ('i64' in v) return [T.I64, le(8, v.i64, true)];
  if ('u64' in v) return [T.U64, le(8, v.u64)];
  if ('dbl' in v) { const b = Buffer.alloc(8); b.writeDoubleLE(v.dbl); return [T.DBL, b]; }
  if ('opaque' in v) return [T.OPAQUE, Buffer.concat([Buffer.from([v.opaque]), varlen(v.data.length), v.data])];
  const large = !!v.large;
  const isObj = 'obj' in v;
  const members: Array<[string | null, J]> = isObj ? v.obj : v.arr.map((x) => [null, x]);
  const w = large ? 4 : 2;
  const n = members.length;
  const keyEntries = isObj ? n * (w + 2) : 0;
  let pos = 2 * w + keyEntries + n * (1 + w);
  const keyBytes: Buffer[] = [];
  const keyEntryBytes: Buffer[] = [];
  for (const [k] of members) {
    if (k === null) continue;
    const kb = Buffer.from(k, 'utf8');
    keyEntryBytes.push(Buffer.concat([le(w, pos), le(2, kb.length)]));
    keyBytes.push(kb);
    pos += kb.length;
  }
  const valueEntryBytes: Buffer[] = [];
  const valueBytes: Buffer[] = [];
  for (const [, m] of members) {
    const [type, payload] = enc(m);
    const inlined = type === T.LIT || type === T.I16 || type === T.U16 || (large && (type === T.I32 || type === T.U32));
    if (inlined) {
      const slot = Buffer.alloc(w);
      payload.copy(slot);
      valueEntryBytes.push(Buffer.concat([Buffer.from([type]), slot]));
    } else {
      valueEntryBytes.push(Buffer.concat([Buffer.from([type]), le(w, pos)]));
      valueBytes.push(payload);
      pos += payload.length;
    }
  }
  const body = Buffer.concat([...keyEntryBytes, ...valueEntryBytes, ...keyBytes, ...valueBytes]);
  const type = isObj ? (large ? T.LOBJ : T.SOBJ) : (large ? T.LARR : T.SARR);
  return [type, Buffer.concat([le(w, n), le(w, 2 * w + body.length), body])];
}

function doc(v: J): Buffer {
  const [type, payload] = enc(v);
  return Buffer.concat([Buffer.from([type]), payload]);
}

/** The 8-byte packed temporal of Json_datetime (TIME_to_longlong_*_packed), little-endian. */
function packedTemporal(o: { year?: number; month?: number; day?: number; hour: number; minute: number; second: number; micro: number; negative?: boolean }): Buffer {
  const ymd = BigInt((((o.year ?? 0) * 13 + (o.month ?? 0)) << 5) | (o.day ?? 0));
  const hms = BigInt((o.hour << 12) | (o.minute << 6) | o.second);
  let packed = (((ymd << 17n) | hms) << 24n) + BigInt(o.micro);
  if (o.negative) packed = -packed;
  return le(8, packed, true);
}

// ---- decoding through zongji's row-value path ----------------------------------------------
function decode(document: Buffer, jsonStrings: boolean): unknown {
  const parser = new reader.Parser();
  parser.append(Buffer.concat([le(4, document.length), document]));
  const column = { name: 'j', type: common.MysqlTypes.JSON, metadata: { length_size: 4 }, charset: null };
  const zongji = { connection: { config: { jsonStrings } }, options: {}, emit: () => undefined };
  return common.readMysqlValue(parser, column, { COLUMN_TYPE: 'json' }, { tableName: 't', parentSchema: 's' }, zongji);
}
const text = (v: J) => decode(doc(v), true);

describe('MySQL binary JSON as text (jsonStrings: true), documents built from the json_binary.cc layout', () => {
  it('keeps object members in stored order, integer-like keys included', () => {
    // MySQL stores keys sorted by length, then bytes: "b" before "10"
    expect(text({ obj: [['b', { i16: 1 }], ['10', { i16: 2 }], ['__proto__', { i16: 3 }]] })).toBe('{"b": 1, "10": 2, "__proto__": 3}');
  });

  it('prints doubles as MySQL does (my_gcvt, ".0" on integral values)', () => {
    const cases: Array<[number, string]> = [
      [3, '3.0'], [-2.5, '-2.5'], [0.1, '0.1'], [1e300, '1e300'], [1e-16, '1e-16'], [0.00001, '0.00001'],
      [1e14, '100000000000000.0'], [1e15, '1e15'], [-0, '-0.0'], [123456789.125, '123456789.125'],
      [1.7976931348623157e308, '1.7976931348623157e308'], [5e-324, '5e-324'], [2 ** 53, '9.007199254740992e15'],
      [1.5e-10, '0.00000000015'], [-1e-15, '-0.000000000000001'],
    ];
    expect(text({ arr: cases.map(([d]) => ({ dbl: d })) })).toBe(`[${cases.map(([, s]) => s).join(', ')}]`);
    expect(text({ dbl: 42 })).toBe('42.0');
  });

  it('keeps 64-bit integers exact and inlines 32-bit ones in large containers', () => {
    expect(text({ arr: [{ i64: -9223372036854775808n }, { u64: 18446744073709551615n }, { i64: 9007199254740993n }, { i32: -2147483648 }, { u32: 4294967295 }, { i16: -32768 }, { u16: 65535 }] }))
      .toBe('[-9223372036854775808, 18446744073709551615, 9007199254740993, -2147483648, 4294967295, -32768, 65535]');
    expect(text({ arr: [{ i32: -5 }, { u32: 7 }, { i32: 70000 }], large: true })).toBe('[-5, 7, 70000]');
  });

  it('prints nested arrays and objects, small inside large and back', () => {
    const nested: J = { obj: [['a', { arr: [{ i32: 70000 }, { obj: [['b', { arr: [true, false, null] }]] }, { arr: [] }, { obj: [] }] }], ['k', 'v']], large: true };
    expect(text(nested)).toBe('{"a": [70000, {"b": [true, false, null]}, [], {}], "k": "v"}');
  });

  it('escapes strings as double_quote() does', () => {
    const s = 'q"b\\n\nt\tr\rf\fbs\b c\u0001 us\u001f del\u007f \u00e9 \u{1F600} \u2028/';
    expect(text(s)).toBe('"q\\"b\\\\n\\nt\\tr\\rf\\fbs\\b c\\u0001 us\\u001f del\u007f \u00e9 \u{1F600} \u2028/"');
    expect(text({ obj: [['k"\n', '']] })).toBe('{"k\\"\\n": ""}');
  });

  it('prints opaque values: dates, times, decimals, strings and binary', () => {
    const O = common.MysqlTypes;
    const blob = Buffer.from(Array.from({ length: 60 }, (_, i) => i * 4));
    const b64 = blob.toString('base64');
    const cases: Array<[J, string]> = [
      [{ opaque: O.DATE, data: packedTemporal({ year: 2024, month: 1, day: 15, hour: 0, minute: 0, second: 0, micro: 0 }) }, '"2024-01-15"'],
      [{ opaque: O.DATETIME, data: packedTemporal({ year: 2024, month: 1, day: 15, hour: 10, minute: 20, second: 30, micro: 123456 }) }, '"2024-01-15 10:20:30.123456"'],
      [{ opaque: O.TIMESTAMP, data: packedTemporal({ year: 2038, month: 1, day: 19, hour: 3, minute: 14, second: 7, micro: 999999 }) }, '"2038-01-19 03:14:07.999999"'],
      [{ opaque: O.TIME, data: packedTemporal({ hour: 12, minute: 30, second: 0, micro: 1, negative: true }) }, '"-12:30:00.000001"'],
      [{ opaque: O.TIME, data: packedTemporal({ hour: 838, minute: 59, second: 59, micro: 0 }) }, '"838:59:59.000000"'],
      [{ opaque: O.NEWDECIMAL, data: Buffer.from([5, 2, 0x80, 0x01, 0x32]) }, '1.50'],
      [{ opaque: O.NEWDECIMAL, data: Buffer.from([5, 2, 0x7f, 0xff, 0xcd]) }, '-0.50'],
      [{ opaque: O.VAR_STRING, data: Buffer.from('abc \u00e9', 'utf8') }, '"abc \u00e9"'],
      [{ opaque: O.VARCHAR, data: Buffer.from('ab') }, '"base64:type15:YWI="'],
      [{ opaque: O.BLOB, data: blob }, `"base64:type252:${b64.slice(0, 76)}\\n${b64.slice(76)}"`],
      [{ opaque: O.BIT, data: Buffer.from([0x05]) }, '"base64:type16:BQ=="'],
    ];
    // One by one, so each wrong rendering (or exception) is reported, then all inside one array
    const wrong = cases.flatMap(([v, want]) => {
      let got: unknown;
      try { got = text(v); } catch (err) { got = `throws ${(err as Error).message}`; }
      return got === want ? [] : [`${want} <- ${String(got)}`];
    });
    expect(wrong).toEqual([]);
    expect(text({ arr: cases.map(([v]) => v) })).toBe(`[${cases.map(([, s]) => s).join(', ')}]`);
  });

  it('handles scalar documents', () => {
    expect(text('x')).toBe('"x"');
    expect(text(true)).toBe('true');
    expect(text(null)).toBe('null');
    expect(text({ u64: 18446744073709551615n })).toBe('18446744073709551615');
  });

  it('parsed mode (jsonStrings off) still yields plain JavaScript values', () => {
    const value = decode(doc({ obj: [['b', { dbl: 2.5 }], ['10', { arr: [{ i64: 9007199254740993n }, { i16: 1 }] }], ['__proto__', { i16: 3 }]] }), false) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value).sort()).toEqual(['10', '__proto__', 'b']);
    expect(value.b).toBe(2.5);
    expect(value['10']).toEqual(['9007199254740993', 1]);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe(3);
  });
});
