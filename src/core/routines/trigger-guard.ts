/**
 * The trigger guard. Every trigger db-sync creates on the target has the source's body
 * wrapped so it does nothing in db-sync's own apply sessions, which set
 * `@db_sync_applying = 1` (core/db/session.ts): rows db-sync copies already carry the
 * source trigger's effects (an audit row arrives as its own row event), so firing again
 * would duplicate them. Anyone else writing on the target still fires the trigger.
 *
 * The wrapper is exact text so introspection of the target can take it off again and the
 * diff compares the original bodies.
 */
import { APPLY_MARKER_VAR } from '../db/session.js';

const PREFIX = `BEGIN IF ${APPLY_MARKER_VAR} IS NULL THEN\n`;
// The `;` goes on its own line: a body may end in a `-- comment`, which would swallow it.
const SUFFIX = '\n;\nEND IF; END';

export function wrapTriggerBody(body: string): string {
  return `${PREFIX}${body}${SUFFIX}`;
}

/** The original body and whether the guard was there. */
export function unwrapTriggerBody(stored: string): { body: string; guarded: boolean } {
  if (stored.startsWith(PREFIX) && stored.endsWith(SUFFIX)) {
    return { body: stored.slice(PREFIX.length, stored.length - SUFFIX.length), guarded: true };
  }
  return { body: stored, guarded: false };
}
