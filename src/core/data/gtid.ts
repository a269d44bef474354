/**
 * GTID state of a pair, pure. The checkpoint's `gtids` is everything the target holds:
 * - MariaDB: a GTID position, the last transaction per replication domain (`0-1-42,1-5-7`),
 *   as @@gtid_binlog_pos / @slave_connect_state spell it. Within a domain the binlog order
 *   is total, so one domain-server-seq names every earlier transaction of that domain.
 * - MySQL: a GTID set, intervals per server UUID (`3e11fa47-...:1-5:7`), as gtid_executed.
 * A transaction's GTID enters the state when its commit is applied (the checkpoint is written
 * in the same target transaction), so the state always names whole committed transactions.
 */
import type { FlavorName } from '../db/flavor.js';

export interface MariaGtid {
  domain: number;
  server: number;
  seq: bigint;
}

const MARIA_RE = /^(\d{1,10})-(\d{1,10})-(\d{1,20})$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function parseMariaGtid(text: string): MariaGtid {
  const m = MARIA_RE.exec(text.trim());
  if (!m) throw new Error(`not a MariaDB GTID (domain-server-sequence): '${text}'`);
  return { domain: Number(m[1]), server: Number(m[2]), seq: BigInt(m[3] as string) };
}

/** A list of MariaDB GTIDs ('' is empty): a position, a binlog state or a GTID_LIST event's text. */
export function parseMariaGtids(text: string | null | undefined): MariaGtid[] {
  const t = (text ?? '').replace(/[[\]\s]/g, '');
  return t ? t.split(',').map(parseMariaGtid) : [];
}

export function formatMariaGtid(g: MariaGtid): string {
  return `${g.domain}-${g.server}-${g.seq}`;
}

/** MySQL: server UUID -> sorted, disjoint, inclusive intervals [start, end]. */
export type MysqlGtidSet = Map<string, Array<[bigint, bigint]>>;

export function parseMysqlGtidSet(text: string | null | undefined): MysqlGtidSet {
  const set: MysqlGtidSet = new Map();
  const t = (text ?? '').replace(/\s/g, '').toLowerCase();
  if (!t) return set;
  for (const part of t.split(',')) {
    const [uuid, ...ranges] = part.split(':');
    if (!uuid || !UUID_RE.test(uuid) || !ranges.length) throw new Error(`not a MySQL GTID set: '${text}'`);
    for (const r of ranges) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(r);
      if (!m) throw new Error(`not a MySQL GTID interval: '${r}' in '${text}'`);
      addInterval(set, uuid, BigInt(m[1] as string), BigInt(m[2] ?? (m[1] as string)));
    }
  }
  return set;
}

function addInterval(set: MysqlGtidSet, uuid: string, start: bigint, end: bigint): void {
  const list = [...(set.get(uuid) ?? []), [start, end] as [bigint, bigint]].sort((a,
    b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: Array<[bigint, bigint]> = [];
  for (const [s, e] of list) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1] + 1n) last[1] = e > last[1] ? e : last[1];
    else merged.push([s, e]);
  }
  set.set(uuid, merged);
}

export function formatMysqlGtidSet(set: MysqlGtidSet): string {
  return [...set.keys()].sort().map((uuid) => `${uuid}:${(set.get(uuid) ?? [])
    .map(([s, e]) => (s === e ? `${s}` : `${s}-${e}`)).join(':')}`).join(',');
}

/** The transactions of `a` that `b` lacks (a − b). */
export function subtractMysqlGtidSets(a: MysqlGtidSet, b: MysqlGtidSet): MysqlGtidSet {
  const out: MysqlGtidSet = new Map();
  for (const [uuid, intervals] of a) {
    for (const [s0, e0] of intervals) {
      let pieces: Array<[bigint, bigint]> = [[s0, e0]];
      for (const [bs, be] of b.get(uuid) ?? []) {
        pieces = pieces.flatMap(([s, e]): Array<[bigint, bigint]> => {
          if (be < s || bs > e) return [[s, e]];
          const keep: Array<[bigint, bigint]> = [];
          if (bs > s) keep.push([s, bs - 1n]);
          if (be < e) keep.push([be + 1n, e]);
          return keep;
        });
      }
      for (const [s, e] of pieces) addInterval(out, uuid, s, e);
    }
  }
  return out;
}

/** The pair's GTID state while streaming: start from the checkpoint's, add each applied commit. */
export class GtidState {
  private readonly maria = new Map<number, MariaGtid>();
  private readonly mysql: MysqlGtidSet;
  private text: string;

  constructor(readonly flavor: FlavorName, initial: string) {
    this.mysql = flavor === 'mysql' ? parseMysqlGtidSet(initial) : new Map();
    if (flavor === 'mariadb') for (const g of parseMariaGtids(initial)) this.maria.set(g.domain, g);
    this.text = this.format();
  }

  /** A committed transaction's GTID ('0-1-42' or 'uuid:42'). */
  add(gtid: string): void {
    if (this.flavor === 'mariadb') {
      const g = parseMariaGtid(gtid);
      this.maria.set(g.domain, g); // the last one per domain, also when a failover lowered the seq
    } else {
      const [uuid, n] = gtid.toLowerCase().split(':');
      if (!uuid || !n || !/^\d+$/.test(n)) throw new Error(`not a MySQL GTID: '${gtid}'`);
      addInterval(this.mysql, uuid, BigInt(n), BigInt(n));
    }
    this.text = this.format();
  }

  toString(): string {
    return this.text;
  }

  private format(): string {
    if (this.flavor === 'mysql') return formatMysqlGtidSet(this.mysql);
    return [...this.maria.values()].sort((a, b) => a.domain - b.domain).map(formatMariaGtid).join(',');
  }
}

/** A row of SHOW BINLOG EVENTS, as far as the MySQL scan below reads it. */
export interface MysqlEventRow {
  Event_type: string;
  End_log_pos: number | string;
  Info: string;
}

const GTID_NEXT_RE = /GTID_NEXT\s*=\s*'([0-9a-fA-F-]{36}):(\d+)'/;

/**
 * MySQL: the executed GTID set at `pos`, a transaction boundary in one binlog file, read from
 * that file's events (SHOW BINLOG EVENTS, fed in order from the file's start): the file's
 * Previous_gtids (everything before the file) plus the GTID of every transaction whose Gtid
 * event ends at or before `pos` (a boundary, so the whole transaction is before it). MySQL's
 * counterpart of MariaDB's BINLOG_GTID_POS, for a checkpoint that has a position but no set
 * yet. `result()` is null when the file has no Previous_gtids (GTIDs off), a GTID it cannot
 * read (a tagged one, MySQL 8.4), or no GTID at all before `pos` (an empty set would make the
 * server send the file's older anonymous transactions): the pair then stays on file:pos.
 */
export class MysqlGtidsAt {
  private set: MysqlGtidSet | null = null;
  private unreadable = false;
  done = false;

  constructor(private readonly pos: number) {}

  feed(rows: MysqlEventRow[]): void {
    for (const r of rows) {
      if (this.done) return;
      if (Number(r.End_log_pos) > this.pos) {
        this.done = true;
        return;
      }
      if (r.Event_type === 'Previous_gtids' && this.set === null) {
        try {
          this.set = parseMysqlGtidSet(r.Info);
        } catch {
          this.unreadable = true;
        }
      } else if (r.Event_type === 'Gtid') {
        const m = GTID_NEXT_RE.exec(r.Info);
        if (!m || !this.set) this.unreadable = true;
        else addInterval(this.set, (m[1] as string).toLowerCase(), BigInt(m[2] as string), BigInt(m[2] as string));
      }
    }
  }

  result(): string | null {
    return this.set?.size && !this.unreadable ? formatMysqlGtidSet(this.set) : null;
  }
}
