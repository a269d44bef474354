/**
 * Things every command needs: the config store and a logger set up from settings.
 */
import { ConfigStore, resolvePaths } from '../core/config/store.js';
import type { LogLevel } from '../core/config/schema.js';
import { createLogger, type Logger } from '../core/log.js';

export function openStore(): ConfigStore {
  return new ConfigStore(resolvePaths());
}

export function commandLogger(store: ConfigStore, level: LogLevel,
  opts: { stderr?: boolean; files?: boolean } = {}): Logger {
  const logDir = opts.files === false ? undefined : store.paths.logDir;
  return createLogger({ level, logDir, stderr: opts.stderr ?? false });
}

/** An AbortSignal fired by the first SIGINT/SIGTERM; a second one forces exit. */
export function shutdownSignal(onFirst?: (sig: string) => void): AbortSignal {
  const ac = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      onFirst?.(sig);
      ac.abort(new Error(`received ${sig}`));
    } else {
      process.stderr.write('forced exit\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return ac.signal;
}
