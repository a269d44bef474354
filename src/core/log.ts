/**
 * Logger factory: the only pino import. Child loggers carry {pair, pipeline}. Passwords are
 * redacted wherever they appear in a logged object; row values are only logged at debug.
 *
 * Files: <logDir>/combined.log (every line at or above the logger's level) and
 * <logDir>/error.log (errors only), JSON lines with an ISO `time`, rotated by size to
 * combined.log.1 ... combined.log.N (see rotating-file.ts). Writes are synchronous and
 * in-process (no worker thread), so the level can change at run time (`setLogLevel`)
 * and nothing is lost on exit.
 */
import pino, { type Logger as PinoLogger } from 'pino';
import path from 'node:path';
import type { LogLevel } from './config/schema.js';
import { parseSize, RotatingFile } from './rotating-file.js';

export type Logger = PinoLogger;

export interface LoggerOptions {
  level: LogLevel;
  /** Write logs/combined.log and logs/error.log (rotated by size) here. */
  logDir?: string;
  /** Also write the JSON lines to stderr (foreground runs). */
  stderr?: boolean;
  /** Rotate at this size ('10m', '512k' or bytes), keeping `files` rotated files per log. */
  rotateSize?: string | number;
  files?: number;
}

export const LOG_FILES = { combined: 'combined.log', error: 'error.log' } as const;
export const DEFAULT_ROTATE_SIZE = '10m';
export const DEFAULT_ROTATE_FILES = 5;

export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'connection.password', 'config.connections[*].password',
];

export function createLogger(options: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [];
  if (options.logDir) {
    const maxBytes = parseSize(options.rotateSize ?? DEFAULT_ROTATE_SIZE);
    const files = options.files ?? DEFAULT_ROTATE_FILES;
    const open = (name: string) => new RotatingFile({ file: path.join(options.logDir!, name), maxBytes, files });
    // 'trace' on the combined stream: the logger's own level does the filtering, so a
    // level change at run time applies to the file without rebuilding streams.
    streams.push({ level: 'trace', stream: open(LOG_FILES.combined) },
      { level: 'error', stream: open(LOG_FILES.error) });
  }
  if (options.stderr) streams.push({ level: 'trace', stream: process.stderr });
  const base = {
    level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (streams.length === 0) return pino({ ...base, enabled: false });
  return trackDescendants(pino(base, pino.multistream(streams)));
}

const DESCENDANTS = Symbol('db-sync.descendants');
type Tracked = Logger & { [DESCENDANTS]?: Set<WeakRef<Logger>> };

/**
 * pino children copy the level when created, so a level change on the root would not reach
 * loggers the pipelines already made. Children are created with Object.create(parent), so a
 * `child` wrapper on the root is inherited by every descendant and sees them all.
 */
function trackDescendants(root: Logger): Logger {
  const members = new Set<WeakRef<Logger>>();
  const original = root.child;
  (root as Tracked)[DESCENDANTS] = members;
  root.child = function child(this: Logger, ...args: Parameters<Logger['child']>) {
    const c = original.apply(this, args) as unknown as Logger;
    if (members.size > 1000) for (const r of members) if (!r.deref()) members.delete(r);
    members.add(new WeakRef(c));
    return c;
  } as unknown as Logger['child'];
  return root;
}

/** Change the level of a logger made by createLogger and of every logger derived from it. */
export function setLogLevel(level: LogLevel, root: Logger): void {
  const members = (root as Tracked)[DESCENDANTS];
  if (!members) return; // a disabled/silent logger stays silent
  root.level = level;
  for (const r of members) {
    const l = r.deref();
    if (l) l.level = level;
  }
}

/** A logger that drops everything (library use, unit tests). */
export function silentLogger(): Logger {
  return pino({ enabled: false });
}

/** Flush pending lines before exit. File writes are synchronous; this is kept for API stability. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      // a destination that cannot flush (closed): nothing left to wait for
      resolve();
    }
    setTimeout(resolve, 1000).unref();
  });
}
