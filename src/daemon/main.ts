/**
 * The service process: claim the PID file, run every pair, reload on config change or
 * SIGHUP, stop gracefully on SIGTERM/SIGINT (a second signal forces exit 130) or on an
 * unhandled promise rejection (exit 1, see unhandled.ts).
 */
import type { LogLevel } from '../core/config/schema.js';
import type { ConfigStore } from '../core/config/store.js';
import { createLogger, flushLogger, type Logger } from '../core/log.js';
import { acquirePidFile, releasePidFile } from './pid-file.js';
import { SyncService, type ServiceOptions } from './service.js';
import type { PairRunner } from './supervisor.js';
import { watchUnhandledRejections, type RejectionWatch } from './unhandled.js';

export interface ForegroundOptions {
  store: ConfigStore;
  runPair: PairRunner;
  version: string;
  logLevel?: LogLevel;
  metricsPort?: number;
  /** Also log to stderr (foreground in a terminal; off for the detached daemon). */
  stderr: boolean;
  limits?: ServiceOptions['limits'];
  /** How long pairs get to finish their transaction on shutdown. */
  stopDeadlineMs?: number;
  /** Called once every pair has been started. */
  onStarted?: () => void;
}

/** Runs until a signal stops it; resolves with the exit code. */
export async function runService(options: ForegroundOptions): Promise<number> {
  const { store } = options;
  acquirePidFile(store.paths.pidFile);
  let logger: Logger | null = null;
  let unhandled: RejectionWatch | undefined;
  try {
    const level = options.logLevel ?? store.load().settings.logLevel;
    logger = createLogger({ level, logDir: store.paths.logDir, stderr: options.stderr });
    const service = new SyncService({ ...options, logger });
    // A stray rejection stops the service (exit 1) instead of leaving it in an unknown state.
    unhandled = watchUnhandledRejections(logger);
    const stopRequested = waitForStopSignal(logger, () => void service.reload('SIGHUP'));
    await service.start();
    options.onStarted?.();
    const crash = await Promise.race([stopRequested.then(() => null), unhandled.fired]);
    const clean = await service.stop(options.stopDeadlineMs);
    return clean && !crash ? 0 : 1;
  } finally {
    unhandled?.dispose();
    releasePidFile(store.paths.pidFile);
    if (logger) await flushLogger(logger);
  }
}

function waitForStopSignal(logger: Logger, onHup: () => void): Promise<void> {
  return new Promise((resolve) => {
    let count = 0;
    const stop = (sig: NodeJS.Signals) => {
      count += 1;
      if (count === 1) {
        logger.info({ sig }, 'shutdown requested');
        resolve();
        return;
      }
      logger.warn({ sig }, 'second signal: forced exit');
      process.exit(130);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', () => {
      logger.info('SIGHUP: reloading the configuration');
      onHup();
    });
  });
}
