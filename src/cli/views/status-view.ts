/**
 * Renders the service status document as a readable table (pure: document + now -> text).
 */
import type { PairStatus } from '../../core/status.js';
import type { StatusDocument } from '../../daemon/status-file.js';
import { renderTable } from './table.js';

export function formatDuration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

export function formatLag(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** The lag as operators read it: ms for a pair with work, "caught up, last event N s ago" for an idle one. */
export function lagText(p: PairStatus, now: Date): string {
  const live = p.state === 'streaming' || p.state === 'snapshot';
  if (!live || !p.caughtUp) return formatLag(p.lagMs);
  if (!p.lastEventAt) return 'caught up, no event since start';
  return `caught up, last event ${formatDuration((now.getTime() - Date.parse(p.lastEventAt)) / 1000)} ago`;
}

/** Events waiting for the target, and how far the applied position is from the source's binlog end. */
function backlogText(p: PairStatus): string[] {
  const parts: string[] = [];
  const b = p.backlog;
  if (b && b.events > 0) parts.push(`backlog ${b.events} events (${formatBytes(b.bytes)})`);
  if (p.distanceBytes) parts.push(`${formatBytes(p.distanceBytes)} of source binlog to apply`);
  if (p.binlogReader === 'shared') parts.push('on the shared binlog reader');
  return parts;
}

function formatPosition(p: PairStatus['position']): string {
  if (!p) return '-';
  if (p.gtid) return p.gtid;
  return p.file ? `${p.file}:${p.pos ?? 0}` : '-';
}

/** The state as shown: `standby (held by host:pid since ...)` for a standby, else the state's name. */
export function stateLabel(p: PairStatus): string {
  return p.state === 'standby' && p.standby ? `standby (${p.standby.note})` : p.state;
}

/** The one-line explanation of what the pair is doing or why it is not. */
export function pairDetail(p: PairStatus, now: Date): string {
  const parts: string[] = p.state === 'streaming' ? backlogText(p) : [];
  if (p.throttled) {
    const waited = formatDuration((now.getTime() - Date.parse(p.throttled.since)) / 1000);
    parts.push(`throttled (${p.throttled.reason}) for ${waited}`);
  }
  if (p.state === 'snapshot' && p.snapshot) {
    const s = p.snapshot;
    const eta = s.etaSec === null ? '' : `, ETA ${formatDuration(s.etaSec)}`;
    const table = s.table ? `, ${s.table}` : '';
    parts.push(`${s.percent.toFixed(1)}% (${s.tablesDone}/${s.tablesTotal} tables${table}${eta})`);
  }
  if ((p.state === 'retrying' || p.state === 'error') && p.lastError) {
    parts.push(`${p.lastError.code}: ${p.lastError.message}`);
  }
  if ((p.state === 'retrying' || p.state === 'error') && p.nextRetryAt) {
    const inSec = (Date.parse(p.nextRetryAt) - now.getTime()) / 1000;
    parts.push(`next attempt in ${formatDuration(inSec)}`);
  }
  if (p.warnings.length > 0) {
    const more = p.warnings.length > 1 ? ' ...' : '';
    parts.push(`${p.warnings.length} warning(s): ${p.warnings[0]}${more}`);
  }
  return parts.join('; ');
}

function truncate(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function serviceLine(doc: StatusDocument | null, alive: boolean, now: Date): string {
  if (!doc) return 'service not running (no status published yet; start it with `db-sync service start --daemon`)';
  const s = doc.service;
  if (!alive) return `service not running; last known state from ${s.updatedAt} (stale)`;
  const up = formatDuration((now.getTime() - Date.parse(s.startedAt)) / 1000);
  const extra = s.configError ? `\nconfig reload refused: ${s.configError}` : '';
  const metrics = s.metricsPort ? `, metrics on 127.0.0.1:${s.metricsPort}` : '';
  const cap = s.maxPairs ? `, holds ${s.heldPairs} of maxPairs ${s.maxPairs}` : '';
  return `service running (PID ${s.pid}, up ${up}, v${s.version}${metrics}${cap})${extra}`;
}

export function renderStatus(doc: StatusDocument | null, alive: boolean, now = new Date(),
  width = process.stdout.columns ?? 200): string {
  const head = ['PAIR', 'STATE', 'LAG', 'EVENTS/S', 'ROWS/S', 'ROWS TOTAL', 'POSITION', 'DETAIL'];
  const detailWidth = Math.max(20, width - 100);
  const rows = (doc?.pairs ?? []).map((p) => [
    p.name, stateLabel(p), lagText(p, now), Math.round(p.eventsPerSec), Math.round(p.rowsPerSec), p.totals.rows,
    formatPosition(p.position), truncate(pairDetail(p, now), detailWidth),
  ]);
  const body = rows.length > 0 ? renderTable(head, rows) : 'no sync pairs configured (add one with `db-sync sync add`)';
  return `${serviceLine(doc, alive, now)}\n${body}`;
}
