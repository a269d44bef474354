/**
 * GTID state, pure: the MariaDB position and MySQL set a checkpoint carries, the check of a
 * promoted server's binlog history (rows as SHOW BINLOG EVENTS prints them), and the MySQL
 * wire side. No MySQL server runs here: the COM_BINLOG_DUMP_GTID packet and the GTID_EVENT
 * are built byte by byte from the protocol documentation (MySQL source,
 * sql/rpl_source.cc com_binlog_dump_gtid and libs/mysql/binlog/event/control_events.h
 * Gtid_event: flags(1) SID(16) GNO(8 LE); Gtid_set::encode: n_sids(8), then per SID
 * uuid(16) n_intervals(8) and [start, end) pairs (8+8)), and given to the patched zongji.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/context.js';
import { GtidState, formatMysqlGtidSet, MysqlGtidsAt, parseMysqlGtidSet, subtractMysqlGtidSets,
  type MysqlEventRow } from '../../src/core/data/gtid.js';
import { HistoryScan, startFile, type BinlogEventRow } from '../../src/core/data/gtid-history.js';
import { parseMariaGtids } from '../../src/core/data/gtid.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const LIB = path.join(ROOT, 'node_modules/@vlasky/zongji/lib');
const seq: any = await import(pathToFileURL(path.join(LIB, 'sequence/binlog.js')).href);
const events: any = await import(pathToFileURL(path.join(LIB, 'binlog_event.js')).href);
const reader: any = await import(pathToFileURL(path.join(LIB, 'reader.js')).href);

describe('GTID state of a checkpoint', () => {
  it('keeps the last GTID per MariaDB domain, also when a failover lowered the sequence', () => {
    const s = new GtidState('mariadb', '0-1-10,2-5-7');
    s.add('0-1-11');
    s.add('1-3-1');
    expect(s.toString()).toBe('0-1-11,1-3-1,2-5-7');
    s.add('0-2-9');
    expect(s.toString()).toBe('0-2-9,1-3-1,2-5-7');
  });

  it('adds MySQL GTIDs to the set, merging intervals', () => {
    const u = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const s = new GtidState('mysql', `${u}:1-5`);
    s.add(`${u}:6`);
    s.add(`${u}:8`);
    expect(s.toString()).toBe(`${u}:1-6:8`);
    s.add(`${u}:7`);
    expect(s.toString()).toBe(`${u}:1-8`);
  });

  it('names the MySQL transactions one set lacks', () => {
    const a = parseMysqlGtidSet('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10,4f22fa47-71ca-11e1-9e33-c80aa9429562:1-3');
    const b = parseMysqlGtidSet('3E11FA47-71CA-11E1-9E33-C80AA9429562:1-4:7');
    expect(formatMysqlGtidSet(subtractMysqlGtidSets(a, b)))
      .toBe('3e11fa47-71ca-11e1-9e33-c80aa9429562:5-6:8-10,4f22fa47-71ca-11e1-9e33-c80aa9429562:1-3');
    expect(subtractMysqlGtidSets(b, a).size).toBe(0);
  });
});

/** SHOW BINLOG EVENTS rows of one file: a GTID list, then groups given as GTIDs. */
function binlog(file: string, list: string, gtids: string[]): BinlogEventRow[] {
  let pos = 4;
  const row = (Event_type: string, Info: string, size = 40): BinlogEventRow => {
    const r = { Log_name: file, Pos: pos, Event_type, End_log_pos: pos + size, Info };
    pos += size;
    return r;
  };
  const rows = [row('Format_desc', 'Server ver', 252), row('Gtid_list', `[${list}]`, 29), row('Binlog_checkpoint',
    file, 43)];
  for (const g of gtids) rows.push(row('Gtid', `BEGIN GTID ${g}`), row('Table_map', 't'), row('Write_rows_v1', 't'),
    row('Xid', 'COMMIT'));
  return rows;
}

const check = (ckpt: string, rows: BinlogEventRow[]) => {
  const scan = new HistoryScan(parseMariaGtids(ckpt));
  scan.feed(rows);
  const r = scan.result();
  return { missing: r.missing.map((g) => `${g.domain}-${g.server}-${g.seq}`),
    extra: r.extra.map((g) => `${g.domain}-${g.server}-${g.seq}`), anchor: r.anchor };
};

describe('a promoted server\'s binlog history against the checkpoint', () => {
  it('finds the checkpoint\'s transaction and the position right after it', () => {
    const rows = binlog('b.000002', '0-1-3', ['0-1-4', '0-1-5', '0-2-6']);
    const r = check('0-1-5', rows);
    expect(r).toMatchObject({ missing: [], extra: [] });
    const xid = rows.filter((x) => x.Event_type === 'Xid')[1] as BinlogEventRow;
    expect(r.anchor).toEqual({ file: 'b.000002', pos: Number(xid.End_log_pos) });
  });

  it('names a transaction of the old primary that never reached it as missing', () => {
    expect(check('0-1-6', binlog('b.000002', '0-1-3', ['0-1-4', '0-1-5', '0-2-6',
      '0-2-7']))).toMatchObject({ missing: ['0-1-6'], anchor: null });
  });

  it('names a transaction written on the replica before the checkpoint as extra', () => {
    expect(check('0-1-6', binlog('b.000002', '0-1-3', ['0-1-4', '0-2-5', '0-1-5', '0-1-6'])).extra).toEqual(['0-2-5']);
    expect(check('0-1-6', binlog('b.000002', '0-2-5,0-1-4', ['0-1-5', '0-1-6'])).extra).toEqual(['0-2-5']);
    expect(check('0-1-6', binlog('b.000002', '0-1-3', ['1-2-1', '0-1-4', '0-1-5', '0-1-6'])).extra).toEqual(['1-2-1']);
  });

  it('accepts a replica\'s own writes after the checkpoint and an older failover in the history', () => {
    expect(check('0-1-6', binlog('b.000002', '0-3-2', ['0-1-3', '0-1-4', '0-1-5', '0-1-6', '0-2-7',
      '1-2-1']))).toMatchObject({ missing: [], extra: [] });
  });

  it('starts at the newest binlog file whose GTID list is not beyond the checkpoint', () => {
    const lists = ['', '0-1-3', '0-1-9', '0-2-12'].map(parseMariaGtids);
    expect(startFile(lists, parseMariaGtids('0-1-5'))).toBe(1);
    expect(startFile(lists, parseMariaGtids('0-1-9'))).toBe(2);
    expect(startFile(lists.slice(2), parseMariaGtids('0-1-5'))).toBe(-1);
  });
});

/**
 * SHOW BINLOG EVENTS rows of one MySQL 8.0 binlog file, shaped as MySQL prints them (built by
 * hand from its documented output; no MySQL server runs here): Format_desc, Previous_gtids
 * (several SIDs are printed with ",\n"), then per transaction Gtid (SET @@SESSION.GTID_NEXT=
 * 'sid:gno'), Query BEGIN, Table_map, Write_rows, Xid.
 */
function mysqlBinlog(previous: string, gtids: string[]): { rows: MysqlEventRow[]; ends: number[] } {
  let pos = 4;
  const rows: MysqlEventRow[] = [];
  const row = (Event_type: string, Info: string, size: number) => {
    rows.push({ Event_type, End_log_pos: pos + size, Info });
    pos += size;
  };
  row('Format_desc', 'Server ver: 8.0.36, Binlog ver: 4', 122);
  row('Previous_gtids', previous, 71);
  const ends: number[] = [];
  for (const g of gtids) {
    row('Gtid', `SET @@SESSION.GTID_NEXT= '${g}'`, 79);
    row('Query', 'BEGIN', 75);
    row('Table_map', 'table_id: 90 (app.items)', 49);
    row('Write_rows', 'table_id: 90 flags: STMT_END_F', 40);
    row('Xid', 'COMMIT /* xid=12 */', 31);
    ends.push(pos);
  }
  return { rows, ends };
}

describe('MySQL: the executed GTID set at a binlog position (a checkpoint without a set)', () => {
  const a = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
  const b = '4f22fa47-71ca-11e1-9e33-c80aa9429562';
  const at = (rows: MysqlEventRow[], pos: number, page = rows.length) => {
    const scan = new MysqlGtidsAt(pos);
    for (let i = 0; i < rows.length && !scan.done; i += page) scan.feed(rows.slice(i, i + page));
    return scan.result();
  };

  it('is the file\'s Previous_gtids plus the GTIDs of the transactions before the position', () => {
    const { rows, ends } = mysqlBinlog(`${a}:1-5,\n${b}:1-3`, [`${a}:6`, `${b}:4`, `${a}:7`]);
    expect(at(rows, 4 + 122 + 71)).toBe(`${a}:1-5,${b}:1-3`);
    expect(at(rows, ends[0]!)).toBe(`${a}:1-6,${b}:1-3`);
    expect(at(rows, ends[1]!)).toBe(`${a}:1-6,${b}:1-4`);
    expect(at(rows, ends[2]!)).toBe(`${a}:1-7,${b}:1-4`);
    expect(at(rows, ends[1]!, 3)).toBe(`${a}:1-6,${b}:1-4`); // fed in pages, as SHOW BINLOG EVENTS ... LIMIT
  });

  it('merges a GTID into the set, also one that fills a gap', () => {
    const { rows, ends } = mysqlBinlog(`${a}:1-5:7-9`, [`${a}:6`, `${a}:10`]);
    expect(at(rows, ends[0]!)).toBe(`${a}:1-9`);
    expect(at(rows, ends[1]!)).toBe(`${a}:1-10`);
  });

  it('is null without a Previous_gtids (GTIDs off), without any GTID, or with one it cannot read (tagged)', () => {
    const { rows, ends } = mysqlBinlog(`${a}:1-5`, [`${a}:6`]);
    expect(at(rows.filter((r) => r.Event_type !== 'Previous_gtids'), ends[0]! - 71)).toBeNull();
    expect(at(mysqlBinlog('', [`${a}:1`]).rows, 4 + 122 + 71)).toBeNull(); // empty: file:pos
    expect(at(mysqlBinlog('', [`${a}:1`]).rows, 4 + 122 + 71 + 274)).toBe(`${a}:1`);
    const tagged = mysqlBinlog(`${a}:1-5`, [`${a}:tag1:1`]);
    expect(at(tagged.rows, tagged.ends[0]!)).toBeNull();
  });
});

describe('MySQL GTID wire format (through the patched zongji)', () => {
  const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';

  it('sends COM_BINLOG_DUMP_GTID with the set encoded as SIDs and [start, end) intervals', () => {
    const options = { serverId: 0x40000001, gtidSet: `${uuid}:1-5:7`, nonBlock: false };
    const zongji = { isMariaDb: false, get: () => options, useChecksum: false };
    const Binlog = seq.default(zongji);
    let sent: Buffer | null = null;
    new Binlog(() => undefined).start(null, { writePacket: (p: { buffer: Buffer }) => { sent = p.buffer; } });
    const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
    const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
    const data = Buffer.concat([u64(1), Buffer.from(uuid.replace(/-/g, ''), 'hex'), u64(2), u64(1), u64(6), u64(7),
      u64(8)]);
    const expected = Buffer.concat([Buffer.from([0x1e]), Buffer.from([0, 0]), u32(0x40000001), u32(0), u64(4),
      u32(data.length), data]);
    expect(sent).not.toBeNull();
    // after the 4-byte packet header
    expect((sent as unknown as Buffer).subarray(4).toString('hex')).toBe(expected.toString('hex'));
  });

  it('decodes a GTID_EVENT (type 33) body into uuid:gno', () => {
    const body = Buffer.concat([Buffer.from([1]), Buffer.from(uuid.replace(/-/g, ''), 'hex'),
      Buffer.from('2a00000000000000', 'hex'),
      Buffer.alloc(17)]); // logical timestamps etc. follow; skipped
    const parser = new reader.Parser();
    parser.append(body);
    const ev = new events.Gtid(parser, { eventType: 33, timestamp: 0, nextPosition: 0, size: body.length },
      { useChecksum: false });
    expect(ev.gtid).toBe(`${uuid}:42`);
    const s = new GtidState('mysql', `${uuid}:1-41`);
    s.add(ev.gtid);
    expect(s.toString()).toBe(`${uuid}:1-42`);
  });
});
