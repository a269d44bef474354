/**
 * The errors a cut-over refuses with: each says what is wrong and what to do, and is raised
 * before anything changed (or after step 1 was rolled back).
 */
import { SyncError } from '../errors.js';
import type { EqualityInput } from './equality.js';
import { formatPoint, type BinlogPoint } from './source.js';

/** The pair as a running service publishes it (status.json), or null when no service runs it. */
export interface PairRuntime {
  state: string;
  lastError: { code: string; message: string } | null;
}

export function refuseUnsupported(input: EqualityInput): void {
  if (input.pair.data && input.pair.mode !== 'poll') return;
  const what = input.pair.data ? 'is in polling mode' : 'does not sync data';
  throw new SyncError('CUTOVER_UNSUPPORTED', `pair "${input.pair.name}" ${what}`, {
    hint: 'cutover waits for the pair\'s binlog checkpoint; for this pair stop the writes, run `db-sync verify PAIR`, '
      + 'then `db-sync sync disable PAIR` and give the target\'s events the source\'s status by hand '
      + '(README, "Events").',
  });
}

export function refuseFailing(pair: string, rt: PairRuntime | null): void {
  if (rt?.state !== 'error') return;
  const why = rt.lastError ? `${rt.lastError.code}: ${rt.lastError.message}` : 'no error recorded';
  throw new SyncError('CUTOVER_PAIR_ERROR', `pair "${pair}" is in error (${why})`, {
    hint: `Fix the cause first (\`db-sync status\`, \`db-sync logs --pair ${pair} --level warn\`); `
      + 'cutover changes nothing while the pair fails.',
  });
}

export function writesError(from: BinlogPoint, to: BinlogPoint, readOnly: boolean): SyncError {
  const moved = `the source's binlog position moved from ${formatPoint(from)} to ${formatPoint(to)}`;
  if (!readOnly) {
    return new SyncError('CUTOVER_SOURCE_WRITES', `the source still takes writes: ${moved}`, {
      hint: 'Stop the application\'s writes to the source, or pass --freeze-source to set it read-only '
        + '(SET GLOBAL read_only = ON).',
    });
  }
  return new SyncError('CUTOVER_SOURCE_WRITES', `the source still takes writes although read_only=ON: ${moved}`, {
    hint: 'Accounts with READ_ONLY ADMIN or SUPER, replication threads and events defined by such accounts ignore '
      + 'read_only: find them (SHOW PROCESSLIST, information_schema.EVENTS), stop them '
      + '(e.g. SET GLOBAL event_scheduler = OFF), then run cutover again.',
  });
}

export function lagError(pair: string, timeoutMs: number, applied: BinlogPoint | null, final: BinlogPoint,
  rt: PairRuntime | null): SyncError {
  const error = rt?.lastError ? ` (${rt.lastError.code}: ${rt.lastError.message})` : '';
  const state = rt ? `the service shows it ${rt.state}${error}` : 'no running service publishes it';
  return new SyncError('CUTOVER_LAG_TIMEOUT', `pair "${pair}" did not catch up within ${timeoutMs / 1000} s: `
    + `applied up to ${formatPoint(applied)}, the source is at ${formatPoint(final)}; ${state}`, {
    hint: rt ? 'Check `db-sync status` and `db-sync logs --pair PAIR`; give it longer with --timeout SECONDS.'
      : 'Start the service (`db-sync service start --daemon`) so the pair can catch up, then run cutover again.',
  });
}

export function notEqualError(pair: string, lines: string[]): SyncError {
  const first = lines.filter((l) => !/: OK /.test(l)).slice(0, 3).join('; ');
  return new SyncError('CUTOVER_NOT_EQUAL', `the target differs from the source (${first})`, {
    hint: `See \`db-sync verify ${pair}\` for the details; repair with \`db-sync verify ${pair} --repair\` `
      + '(or `db-sync sync run PAIR --resnapshot`), then run cutover again.',
  });
}

export function stillRunningError(pair: string, state: string): SyncError {
  return new SyncError('CUTOVER_PAIR_STILL_RUNNING',
    `pair "${pair}" is disabled in config.json but the service still runs it after 30 s (state ${state})`, {
      hint: 'Check `db-sync status`; once it shows the pair disabled, give the events the source\'s status: '
        + 'ALTER EVENT name ENABLE for those enabled there, DISABLE for the disabled ones (README, "Events").',
    });
}

export function abortedError(before: string): SyncError {
  return new SyncError('CUTOVER_ABORTED', `cutover stopped before ${before}`, {
    hint: 'Nothing after that step was done; run `db-sync cutover` again when ready.',
  });
}
