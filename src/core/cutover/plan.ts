/**
 * The cut-over plan as printed before anything happens (and all that --dry-run prints): what
 * the source and target look like now, and the five steps.
 */
import type { Flavor } from '../db/flavor.js';
import type { EqualityInput } from './equality.js';
import { formatPoint, readOnlyGrant, type BinlogPoint } from './source.js';
import type { EventChanges } from './target.js';

export interface PlanFacts {
  readOnly: boolean;
  point: BinlogPoint;
  applied: BinlogPoint;
  events: EventChanges;
}

export interface PlanOptions {
  freezeSource: boolean;
  timeoutMs: number;
  quietMs: number;
}

function steps(f: PlanFacts, o: PlanOptions, flavor: Flavor): string[] {
  const still = `its binlog position stays still for ${o.quietMs / 1000} s`;
  const alter = (names: string[], to: string) => names.map((e) => `ALTER EVENT ${e} ${to}`).join('; ');
  const { enable, disable } = f.events;
  const kept = disable.length
    ? `; keep ${disable.length} disabled as on the source: ${alter(disable, 'DISABLE')}` : '';
  return [
    o.freezeSource && !f.readOnly
      ? `set the source read-only (SET GLOBAL read_only = ON; needs ${readOnlyGrant(flavor)}), `
        + `then check that ${still}`
      : `check that the source takes no writes: ${still}`,
    'wait until the pair has applied everything up to the source\'s final binlog position '
      + `(at most ${o.timeoutMs / 1000} s)`,
    'verify: compare every synced table by checksums, and the schema and programmable objects',
    'disable the pair in config.json (a running service stops it within a second)',
    (enable.length ? `enable ${enable.length} event(s) on the target: ${alter(enable, 'ENABLE')}`
      : 'enable events on the target (none are enabled on the source)') + kept,
  ];
}

export function planLines(input: EqualityInput, f: PlanFacts, o: PlanOptions, flavor: Flavor): string[] {
  const { pair, source: s, target: t } = input;
  const list = steps(f, o, flavor);
  return [
    `cutover of pair "${pair.name}" (${pair.source} -> ${pair.target})`,
    `  source: ${s.host}:${s.port}/${s.database}, binlog at ${formatPoint(f.point)}, `
      + `read_only=${f.readOnly ? 'ON' : 'OFF'}`,
    `  target: ${t.host}:${t.port}/${t.database}, pair applied up to ${formatPoint(f.applied)}`,
    ...list.map((line, i) => `step ${i + 1}/${list.length}: ${line}`),
  ];
}
