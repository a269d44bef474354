/**
 * Pure: does a MariaDB server's binlog contain the history a checkpoint was taken on?
 *
 * After a failover the pair continues on another server from its GTID position (the last
 * applied transaction per domain). The server itself skips, in each domain, every event
 * group up to that GTID, so two kinds of damage would pass unnoticed:
 * - missing: the checkpoint's GTID is not in the new server's binlog (the old primary
 *   committed it, db-sync applied it, the replica never got it);
 * - extra (errant): a transaction the new server has *before* that point which the old
 *   primary never had (written on the replica). MariaDB gives it the domain's next sequence
 *   number, so in the new server's binlog its sequence number is not below the primary's
 *   later ones; a domain the checkpoint does not know before that point is extra as well.
 * The caller reads the binlog (SHOW BINLOG EVENTS) from the file chosen by `startFile` and
 * feeds its rows to `HistoryScan` until `done`.
 */
import { comparePositions, type BinlogPosition } from './events.js';
import { formatMariaGtid, parseMariaGtids, type MariaGtid } from './gtid.js';

export interface BinlogEventRow {
  Log_name: string;
  Pos: number | string;
  Event_type: string;
  End_log_pos: number | string;
  Info: string;
}

export interface HistoryResult {
  missing: MariaGtid[];
  extra: MariaGtid[];
  /** Where the new server's binlog is right after the checkpoint's transactions. */
  anchor: BinlogPosition | null;
  /** What the new server has in the checkpoint's domains (for messages). */
  seen: Map<number, MariaGtid[]>;
}

const same = (a: MariaGtid, b: MariaGtid) => a.domain === b.domain && a.server === b.server && a.seq === b.seq;

/**
 * The newest binlog file whose GTID list (the state before its first event) has nothing
 * beyond the checkpoint in the checkpoint's domains: the checkpoint's GTIDs are in it or later.
 * -1: even the oldest file starts after them (the binlogs that held them are purged).
 */
export function startFile(lists: MariaGtid[][], ckpt: MariaGtid[]): number {
  for (let i = lists.length - 1; i >= 0; i--) {
    const beyond = (lists[i] ?? []).some((e) => ckpt.some((c) => c.domain === e.domain && e.seq >= c.seq && !same(e,
      c)));
    if (!beyond) return i;
  }
  return -1;
}

/** Event types that sit between event groups (a group ends before them). */
const BETWEEN = new Set(['Gtid', 'Gtid_list', 'Binlog_checkpoint', 'Rotate', 'Stop', 'Format_desc',
  'Start_encryption']);

export class HistoryScan {
  /** Per domain, in binlog order: the start file's GTID list, then every group's GTID. */
  private readonly order = new Map<number, MariaGtid[]>();
  private readonly unknownDomains: MariaGtid[] = [];
  private readonly found = new Map<number, BinlogPosition>();
  private open: { gtid: MariaGtid; end: BinlogPosition } | null = null;
  private listTaken = false;

  constructor(private readonly ckpt: MariaGtid[]) {}

  /** Rows of SHOW BINLOG EVENTS, in order, starting with the first file's first event. */
  feed(rows: BinlogEventRow[]): void {
    for (const r of rows) {
      const at = { file: r.Log_name, pos: Number(r.End_log_pos) };
      if (BETWEEN.has(r.Event_type)) this.close();
      if (r.Event_type === 'Gtid_list' && !this.listTaken) {
        this.listTaken = true; // the first file's list: the state before it (later files repeat it)
        for (const g of parseMariaGtids(r.Info)) this.see(g, at);
      } else if (r.Event_type === 'Gtid') {
        const m = /GTID (\d+-\d+-\d+)/.exec(r.Info);
        if (m) this.open = { gtid: parseMariaGtids(m[1])[0] as MariaGtid, end: at };
      } else if (this.open && !BETWEEN.has(r.Event_type)) {
        this.open.end = at;
      }
    }
  }

  /** Every checkpoint GTID seen with its whole group. */
  get done(): boolean {
    return !this.open && this.found.size === this.ckpt.length;
  }

  result(): HistoryResult {
    this.close();
    const missing = this.ckpt.filter((c) => !this.found.has(c.domain));
    const extra = [...this.unknownDomains];
    for (const c of this.ckpt) {
      const list = this.order.get(c.domain) ?? [];
      const upTo = list.findIndex((g) => same(g, c));
      const before = upTo < 0 ? [] : list.slice(0, upTo + 1);
      before.forEach((e, i) => {
        const later = before.slice(i + 1);
        if (later.some((f) => f.seq <= e.seq && f.server !== e.server)) extra.push(e);
      });
    }
    let anchor: BinlogPosition | null = null;
    for (const p of this.found.values()) if (!anchor || comparePositions(p, anchor) > 0) anchor = p;
    return { missing, extra, anchor: missing.length ? null : anchor, seen: this.order };
  }

  private close(): void {
    if (this.open) this.see(this.open.gtid, this.open.end);
    this.open = null;
  }

  private see(g: MariaGtid, end: BinlogPosition): void {
    const c = this.ckpt.find((x) => x.domain === g.domain);
    if (!c) {
      // a domain the old source never sent, before the checkpoint's point: extra
      if (this.found.size < this.ckpt.length) this.unknownDomains.push(g);
      return;
    }
    if (this.found.has(g.domain)) return; // after the checkpoint in this domain: streamed next
    this.order.set(g.domain, [...(this.order.get(g.domain) ?? []), g]);
    if (same(g, c)) this.found.set(g.domain, end);
  }
}

export function formatGtids(list: MariaGtid[]): string {
  return list.map(formatMariaGtid).join(',');
}
