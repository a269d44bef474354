/**
 * Which change-capture mode a pair runs: `binlog` and `poll` as configured; `auto` picks
 * binlog when the source allows it and polling otherwise, with the reason (the binlog
 * problems, each phrased as its fix) so the operator knows what to change to get binlog.
 */
import type { SyncPairConfig } from '../config/schema.js';
import type { Capabilities } from '../preflight.js';

export interface ResolvedMode {
  mode: 'binlog' | 'poll';
  reason: string;
}

export function resolveMode(pair: Pick<SyncPairConfig, 'mode'>,
  caps: Pick<Capabilities, 'binlogUsable' | 'binlogProblems'>): ResolvedMode {
  if (pair.mode === 'binlog') return { mode: 'binlog', reason: 'mode "binlog" is configured' };
  if (pair.mode === 'poll') return { mode: 'poll', reason: 'mode "poll" is configured' };
  if (caps.binlogUsable) return { mode: 'binlog', reason: 'mode "auto": the source allows binlog change capture' };
  const why = caps.binlogProblems.length > 0 ? caps.binlogProblems.join('; ')
    : 'binlog change capture is not available';
  return { mode: 'poll', reason: `mode "auto" falls back to polling: ${why}` };
}
