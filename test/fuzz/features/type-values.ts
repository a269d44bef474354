/**
 * Columns of every type and a generator of SQL literals for each, biased to the edges:
 * zero YEAR, the ENUM '' error value, BIT widths, DECIMAL(65,30) extremes, FLOAT/DOUBLE
 * edges, zero dates, negative TIME, latin1 bytes 0x80-0xFF, 4-byte UTF-8, several
 * collations, JSON, BLOB/TEXT, VARBINARY with NUL bytes, GEOMETRY.
 */
import type { Rng } from '../prng.js';
import { hex, utf8 } from './common.js';

type Gen = (r: Rng) => string;

const int = (lo: bigint, hi: bigint): Gen => (r) => r.pick(
  [String(lo), String(hi), '0', '1', '-1', String(r.int(-1000, 1000))]
    .filter((v) => BigInt(v) >= lo && BigInt(v) <= hi));

const decimal65: Gen = (r) => r.pick([
  '99999999999999999999999999999999999.999999999999999999999999999999',
  '-99999999999999999999999999999999999.999999999999999999999999999999',
  '0.000000000000000000000000000001', '-0.000000000000000000000000000001', '0',
  `${r.int(-99999, 99999)}.${String(r.int(0, 999999999)).padStart(9, '0')}${'7'.repeat(21)}`,
]);

const float: Gen = (r) => r.pick(['3.40282e38', '-3.40282e38', '1.17549e-38', '1.4e-45', '-0e0', '0',
  String(r.next() * 1e6 - 5e5)]);
const double: Gen = (r) => r.pick(['1.7976931348623157e308', '-1.7976931348623157e308', '2.2250738585072014e-308',
  '5e-324', '-0e0', '0.1', String((r.next() - 0.5) * 10 ** r.int(-300, 300))]);

const bit = (n: number): Gen => (r) => {
  const max = (1n << BigInt(n)) - 1n;
  const v = r.pick([0n, 1n, max, BigInt(r.int(0, 2 ** Math.min(n, 30) - 1))]);
  return String(v & max);
};

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const date: Gen = (r) => r.pick(['0000-00-00', '1000-01-01', '9999-12-31', '2020-00-15', '2024-02-29',
  `${r.int(1000, 9999)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))}`].map((s) => `'${s}'`));
const frac = (r: Rng) => String(r.int(0, 999_999)).padStart(6, '0');
const ymd = (r: Rng, years: [number, number]) => `${r.int(...years)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))}`;
const hms = (r: Rng, hours: number) => `${pad(r.int(0, hours))}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}.${frac(r)}`;
const datetime: Gen = (r) => r.pick(['0000-00-00 00:00:00', '9999-12-31 23:59:59.999999', '1000-01-01 00:00:00.000001',
  `${ymd(r, [1000, 9999])} ${hms(r, 23)}`]
  .map((s) => `'${s}'`));
const time: Gen = (r) => r.pick(['-838:59:59', '838:59:59', '-00:00:00.000001', '00:00:00', '-12:34:56.789012',
  `${r.chance(0.5) ? '-' : ''}${hms(r, 838)}`].map((s) => `'${s}'`));
const timestamp: Gen = (r) => r.pick(['1970-01-01 00:00:01', '2038-01-19 03:14:07.999999', '0000-00-00 00:00:00',
  `${ymd(r, [1971, 2037])} ${hms(r, 23)}`]
  .map((s) => `'${s}'`));

/** latin1 bytes, the 0x80-0xFF range included (0x81, 0x8D, 0x8F, 0x90, 0x9D have no cp1252 character). */
const latin1 = (max: number): Gen => (r) => {
  const special = [0x81, 0x8d, 0x8f, 0x90, 0x9d, 0x80, 0xff, 0xe9, 0x20, 0x27, 0x5c, 0x00];
  const byte = () => (r.chance(0.4) ? r.pick(special) : r.int(0x20, 0xff));
  const b = Buffer.from(Array.from({ length: r.int(0, max) }, byte));
  return `_latin1 ${hex(b)}`;
};

const CHARS = ['a', 'Z', ' ', 'é', 'ß', 'Ж', '中', '😀', '𝄞', "'", '\\', '\u00a0', 'ǅ'];
const text = (max: number): Gen => (r) => utf8(Array.from({ length: r.int(0, max) }, () => r.pick(CHARS)).join('')
  + (r.chance(0.2) ? '  ' : ''));
const bytes = (max: number): Gen => (r) => {
  const b = r.bytes(r.int(0, max));
  if (r.chance(0.3)) return hex(Buffer.concat([b, Buffer.from([0, 0x20, 0])]));
  return hex(b);
};

const json: Gen = (r) => utf8(r.pick(['{}', '[]', 'null', '"s"', '1.5e300', '-0',
  '{"a": [1, 2, {"b": null}], "é": "😀"}',
  `{"n": ${r.int(-1e9, 1e9)}, "f": ${r.next()}, "s": "${'x'.repeat(r.int(0, 50))}"}`, '[true, false, "\\u0000"]']));
const geometry: Gen = (r) => r.pick(['POINT(1 2)', 'LINESTRING(0 0,1 1,2 5)', 'POLYGON((0 0,10 0,10 10,0 10,0 0))',
  `POINT(${r.next() * 1000} ${-r.next() * 1000})`, 'MULTIPOINT(1 1,2 2)', 'GEOMETRYCOLLECTION(POINT(1 1))'])
  .replace(/^(.*)$/, "ST_GeomFromText('$1')");

export const TYPE_COLUMNS: Array<[name: string, ddl: string, gen: Gen]> = [
  ['ti', 'TINYINT', int(-128n, 127n)], ['tiu', 'TINYINT UNSIGNED', int(0n, 255n)],
  ['si', 'SMALLINT', int(-32768n, 32767n)], ['mi', 'MEDIUMINT UNSIGNED', int(0n, 16777215n)],
  ['i', 'INT', int(-2147483648n, 2147483647n)], ['bi', 'BIGINT', int(-9223372036854775808n, 9223372036854775807n)],
  ['biu', 'BIGINT UNSIGNED', int(0n, 18446744073709551615n)],
  ['d65', 'DECIMAL(65,30)', decimal65], ['d5', 'DECIMAL(5,5)', (r) => r.pick(['0.99999', '-0.99999', '0', '0.00001'])],
  ['f', 'FLOAT', float], ['dbl', 'DOUBLE', double],
  ['b1', 'BIT(1)', bit(1)], ['b8', 'BIT(8)', bit(8)], ['b17', 'BIT(17)', bit(17)], ['b64', 'BIT(64)', bit(64)],
  ['y', 'YEAR', (r) => r.pick(['0', '1901', '2155', '2024', "'0000'"])],
  ['dt', 'DATE', date], ['dtm', 'DATETIME(6)', datetime], ['dtm0', 'DATETIME', datetime],
  ['tm', 'TIME(6)', time], ['tm0', 'TIME', time], ['ts', 'TIMESTAMP(6) NULL DEFAULT NULL', timestamp],
  ['e', "ENUM('a','b','é')", (r) => r.pick(["'a'", "'b'", "''", "'zz'", '3', '0', utf8('é')])],
  ['st', "SET('x','y','z')", (r) => r.pick(["''", "'x,z'", "'x,y,z'", '7', '2'])],
  ['ch', 'CHAR(10) CHARACTER SET latin1', latin1(10)],
  ['vl', 'VARCHAR(60) CHARACTER SET latin1 COLLATE latin1_bin', latin1(60)],
  ['vu', 'VARCHAR(60) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin', text(60)],
  ['vnp', 'VARCHAR(60) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin', text(60)],
  ['vgn', 'VARCHAR(60) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_nopad_ci', text(60)],
  ['vuca', 'VARCHAR(60) CHARACTER SET utf8mb4 COLLATE utf8mb4_uca1400_ai_ci', text(60)],
  ['vm3', 'VARCHAR(60) CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci', (r) => utf8(r.pick(['é', 'abc', 'Ж ', '']))],
  ['bn', 'BINARY(8)', bytes(8)], ['vb', 'VARBINARY(64)', bytes(64)],
  ['tb', 'TINYBLOB', bytes(255)], ['bl', 'BLOB', bytes(3000)], ['mt', 'MEDIUMTEXT', text(2000)],
  ['tx', 'TEXT CHARACTER SET latin1', latin1(300)],
  ['j', 'JSON', json], ['g', 'GEOMETRY NULL', geometry],
  ['p', 'POINT NULL', (r) => `ST_GeomFromText('POINT(${r.int(-90, 90)} ${r.next()})')`],
];

/** A value for a column: NULL sometimes, else one of its edge or random literals. */
export function literal(gen: Gen, r: Rng): string {
  return r.chance(0.1) ? 'NULL' : gen(r);
}
