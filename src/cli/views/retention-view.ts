/**
 * Binlog retention lines for `connection test` and `status` (pure: report -> text).
 */
import { formatSeconds } from '../../core/guard/decide.js';
import type { PairRetention, RetentionReport } from '../../core/guard/retention.js';
import { ESTIMATE_ROWS_PER_SEC } from '../../core/guard/retention.js';

export function retentionLines(r: RetentionReport | null): string[] {
  const lines: string[] = [];
  if (!r) return lines;
  const s = r.source;
  if (s) {
    const kept = s.retention > 0 ? `${formatSeconds(s.retention)} (binlog_expire_logs_seconds)` : 'no expiry by age';
    const size = s.files.reduce((n, f) => n + f.size, 0);
    const estimate = `${formatSeconds(s.estimatedSnapshotSec)} (${s.rows} rows at ${ESTIMATE_ROWS_PER_SEC} rows/s)`;
    lines.push(`  binlog retention: ${kept}; ${s.files.length} file(s), ${(size / 1048576).toFixed(1)} MiB; `
      + `a snapshot of this database ~${estimate}`);
    if (s.warning) lines.push(`  warning:         ${s.warning}`);
  }
  for (const p of r.pairs) {
    lines.push(`  ${p.risk.level === 'ok' ? 'pair' : 'warning: pair'} "${p.pair}": ${p.risk.message}`);
  }
  return lines;
}

/** A risk worth a line under `status` (a checkpoint that is gone or may go soon). */
export function isRetentionWarning(r: PairRetention | null | undefined): boolean {
  return !!r && r.level !== 'ok';
}
