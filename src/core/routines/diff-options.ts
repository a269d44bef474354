/** What the routine diffs (diff.ts, diff-triggers.ts) are told about the pair. */
import type { DefinerEnv } from './definer.js';

export interface ProgrammableDiffOptions {
  definers: DefinerEnv;
  /** flavor.eventDisabledOnTarget */
  eventDisabledOnTarget: string;
  /** Source tables left out by the pair's include/exclude filters. */
  excludedTables: Set<string>;
  /** Whether a table/view name takes part (include/exclude); views outside are ignored. */
  filter: (name: string) => boolean;
}
