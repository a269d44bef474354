/**
 * Row values the test server (MariaDB 10.11) cannot produce, decoded from hand-built bytes
 * through the patched @vlasky/zongji's row-value entry point (readMysqlValue).
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/context.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const LIB = path.join(ROOT, 'node_modules/@vlasky/zongji/lib');
const common: any = await import(pathToFileURL(path.join(LIB, 'common.js')).href);
const reader: any = await import(pathToFileURL(path.join(LIB, 'reader.js')).href);

function decode(bytes: Buffer, column: { type: number; metadata: Record<string, number> }): unknown {
  const parser = new reader.Parser();
  parser.append(bytes);
  const zongji = { connection: { config: { dateStrings: true, timezone: 'Z' } }, options: {}, emit: () => undefined };
  return common.readMysqlValue(parser, { name: 'c', charset: null, ...column }, { COLUMN_TYPE: 'timestamp' }, { tableName: 't', parentSchema: 's' }, zongji);
}

describe('TIMESTAMP2 beyond 2^31 seconds (MariaDB 11.5+ stores timestamps up to 2106)', () => {
  it('reads the big-endian seconds unsigned', () => {
    const ts = (seconds: number, fraction: number[] = []) =>
      decode(Buffer.concat([Buffer.from([seconds >>> 24, (seconds >>> 16) & 255, (seconds >>> 8) & 255, seconds & 255]), Buffer.from(fraction)]),
        { type: common.MysqlTypes.TIMESTAMP2, metadata: { decimals: fraction.length * 2 } });
    expect(ts(2 ** 31 - 1)).toBe('2038-01-19 03:14:07');
    expect(ts(2 ** 31)).toBe('2038-01-19 03:14:08');
    expect(ts(2 ** 32 - 1, [0x0f, 0x42, 0x3f])).toBe('2106-02-07 06:28:15.999999');
  });
});
