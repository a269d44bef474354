/** How one run of a pair goes (sync run flags, the service's standby policy). */
import type { StandbyPolicy } from '../data/standby.js';

export interface RunPairOptions {
  /** Catch up to the source's position as of the start, then return. */
  once: boolean;
  /** Forget the data checkpoints and copy all rows again. */
  resnapshot?: boolean;
  /** Copy these tables again from the current checkpoint on. */
  recopy?: string[];
  /** The service: wait as a standby while another runner holds the pair (any mode). */
  standby?: StandbyPolicy;
}
