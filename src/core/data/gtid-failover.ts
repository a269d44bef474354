/**
 * The source connection now reaches another server (a promoted replica): may the pair
 * continue there from its GTID state, without a snapshot? Only when that server has every
 * transaction the target holds and nothing before them that the target lacks; otherwise
 * stop with the GTIDs named (never continue silently). Returns the checkpoint re-anchored on
 * the new server (its server_id, the binlog file:pos right after the checkpoint's GTIDs).
 */
import type { Db } from '../db/connection.js';
import type { Capabilities } from '../preflight.js';
import { SyncError } from '../errors.js';
import type { BinlogCheckpoint } from './checkpoint.js';
import { formatPosition } from './events.js';
import { formatGtids, HistoryScan, startFile, type BinlogEventRow, type HistoryResult } from './gtid-history.js';
import { formatMysqlGtidSet, parseMariaGtids, parseMysqlGtidSet, subtractMysqlGtidSets } from './gtid.js';
import { binlogFiles } from './position.js';

const PAGE = 5000;
const FIX = 'Choices: `db-sync sync run PAIR --resnapshot` copies everything again from this server; '
  + '`db-sync verify PAIR --repair` shows and repairs the rows these transactions made differ (the target stays usable '
  + 'meanwhile), but the pair only streams again after --resnapshot.';

/** True when the checkpoint can be carried to another server by its GTIDs. */
export function canFailOver(ckpt: BinlogCheckpoint, caps: Capabilities): boolean {
  return ckpt.gtids !== undefined && ckpt.flavor === caps.flavor.name && caps.gtidMode;
}

export async function reanchorOnNewServer(db: Db, ckpt: BinlogCheckpoint,
  caps: Capabilities): Promise<BinlogCheckpoint> {
  const moved = { serverId: caps.serverId, serverUuid: caps.serverUuid };
  if (caps.flavor.name === 'mysql') return { ...ckpt, ...moved, ...(await mysqlAnchor(db, ckpt)) };
  const result = await scanMariaHistory(db, ckpt);
  const where = `the new source (server_id ${caps.serverId})`;
  if (result.missing.length) {
    const has = result.missing.map((g) => `domain ${g.domain}: ` +
      `${formatGtids(result.seen.get(g.domain) ?? []).split(',').slice(-3).join(',') || 'nothing'}`);
    throw new SyncError('SOURCE_MISSING_GTIDS',
      `${where} lacks transactions the target already has: ${formatGtids(result.missing)} `
      + `(its binlog has, last: ${has.join('; ')}). The old source committed them and db-sync applied them, but ` +
        `they never reached this server.`, {
      hint: `Bring these transactions to this server, or: ${FIX}`, details: { missing: formatGtids(result.missing) },
    });
  }
  if (result.extra.length) {
    throw new SyncError('SOURCE_DIVERGED',
      `${where} has transactions the old source never had, before the checkpoint ${ckpt.gtids}: `
      + `${formatGtids(result.extra)} (errant transactions written on the replica; the server would skip them ` +
        `silently).`, {
      hint: `Check what they changed (mariadb-binlog --start-position on that server). ${FIX}`,
        details: { extra: formatGtids(result.extra) },
    });
  }
  return { ...ckpt, ...moved, ...(result.anchor as { file: string; pos: number }) };
}

async function scanMariaHistory(db: Db, ckpt: BinlogCheckpoint): Promise<HistoryResult> {
  const target = parseMariaGtids(ckpt.gtids);
  const files = await binlogFiles(db);
  const lists = [];
  for (const f of files) {
    const rows = await db.rows<BinlogEventRow>('SHOW BINLOG EVENTS IN ? LIMIT 4', [f]);
    lists.push(parseMariaGtids(rows.find((r) => r.Event_type === 'Gtid_list')?.Info));
  }
  const first = startFile(lists, target);
  if (first < 0) {
    throw new SyncError('BINLOG_PURGED',
      `the new source's oldest binlog (${files[0] ?? 'none'}) starts after the checkpoint ${ckpt.gtids}: `
      + 'the binlogs that follow it were purged there', {
      hint: 'Re-copy the data: `db-sync sync run PAIR --resnapshot`; keep binlogs longer on every server that may ' +
        'be promoted.',
    });
  }
  const scan = new HistoryScan(target);
  for (const file of files.slice(first)) {
    let from = 4;
    for (;;) {
      const rows = await db.rows<BinlogEventRow>('SHOW BINLOG EVENTS IN ? FROM ? LIMIT ?', [file, from, PAGE]);
      scan.feed(rows);
      const last = rows[rows.length - 1];
      if (scan.done || rows.length < PAGE || !last) break;
      from = Number(last.End_log_pos);
    }
    if (scan.done) break;
  }
  return scan.result();
}

/**
 * MySQL: the new server's gtid_executed must contain the checkpoint's set. What it has beyond
 * is streamed by COM_BINLOG_DUMP_GTID (applied, so the target equals it), unless purged there.
 * The binlog file:pos is learnt from the first event: until then the oldest file stands in.
 */
async function mysqlAnchor(db: Db, ckpt: BinlogCheckpoint): Promise<{ file: string; pos: number }> {
  const [row] = await db.rows<{ e: string; p: string }>(
    'SELECT @@GLOBAL.gtid_executed AS e, @@GLOBAL.gtid_purged AS p');
  const mine = parseMysqlGtidSet(ckpt.gtids);
  const missing = subtractMysqlGtidSets(mine, parseMysqlGtidSet(row?.e));
  if (missing.size) {
    throw new SyncError('SOURCE_MISSING_GTIDS',
      `the new source lacks transactions the target already has: ${formatMysqlGtidSet(missing)}`, {
      hint: `Bring these transactions to this server, or: ${FIX}`, details: { missing: formatMysqlGtidSet(missing) },
    });
  }
  const extra = subtractMysqlGtidSets(parseMysqlGtidSet(row?.e), mine);
  const gone = subtractMysqlGtidSets(extra, subtractMysqlGtidSets(extra, parseMysqlGtidSet(row?.p)));
  if (gone.size) {
    throw new SyncError('SOURCE_DIVERGED',
      `the new source has transactions the target lacks and has purged their binlogs: ${formatMysqlGtidSet(gone)}`, {
      hint: FIX, details: { extra: formatMysqlGtidSet(gone) },
    });
  }
  const files = await binlogFiles(db);
  return { file: files[0] ?? '', pos: 4 };
}

export function describeAnchor(ckpt: BinlogCheckpoint): string {
  return `GTID ${ckpt.gtids || '(empty)'} = ${formatPosition(ckpt)}`;
}
