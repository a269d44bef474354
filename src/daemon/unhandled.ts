/**
 * A promise rejection nobody handled is a bug in db-sync, and which pair it came from is not
 * known. The service does not run on in that unknown state: it logs the error with its code,
 * stops every pair gracefully (each resumes from its checkpoint) and exits 1, so a process
 * manager (systemd `Restart=on-failure`) starts it again and `db-sync status` shows the stop.
 */
import { toSyncError, type SyncError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

export interface RejectionWatch {
  /** Settles with the first unhandled rejection, as a SyncError (INTERNAL unless it had a code). */
  fired: Promise<SyncError>;
  dispose(): void;
}

export function watchUnhandledRejections(logger: Logger, target: NodeJS.EventEmitter = process): RejectionWatch {
  let fire: (err: SyncError) => void = () => undefined;
  const fired = new Promise<SyncError>((resolve) => { fire = resolve; });
  const handler = (reason: unknown) => {
    const err = toSyncError(reason);
    logger.error({ code: err.code, err: err.message, stack: reason instanceof Error ? reason.stack : undefined },
      'unhandled promise rejection: stopping the service');
    fire(err);
  };
  target.on('unhandledRejection', handler);
  return { fired, dispose: () => { target.off('unhandledRejection', handler); } };
}
