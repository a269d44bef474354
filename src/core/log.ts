/**
 * Logger factory: the only pino import. Child loggers carry {pair, pipeline}. Passwords are
 * redacted wherever they appear in a logged object; row values are only logged at debug.
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import pino, { type Logger as PinoLogger } from 'pino';
import type { LogLevel } from './config/schema.js';

export type Logger = PinoLogger;

export interface LoggerOptions {
  level: LogLevel;
  /** Write logs/combined.log and logs/error.log (rotated by size) here. */
  logDir?: string;
  /** Also write human-readable lines to stderr (foreground runs). */
  stderr?: boolean;
  /** Rotate at this size (pino-roll syntax, e.g. '10m') keeping `files` old files. */
  rotateSize?: string;
  files?: number;
}

export const REDACT_PATHS = ['password', '*.password', '*.*.password', 'connection.password', 'config.connections[*].password'];

export function createLogger(options: LoggerOptions): Logger {
  const targets: pino.TransportTargetOptions[] = [];
  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    const roll = (file: string, level: string): pino.TransportTargetOptions => ({
      target: 'pino-roll',
      level,
      options: {
        file: path.join(options.logDir!, file),
        size: options.rotateSize ?? '10m',
        limit: { count: options.files ?? 5 },
        mkdir: true,
        symlink: false,
      },
    });
    targets.push(roll('combined', options.level), roll('error', 'error'));
  }
  if (options.stderr) targets.push({ target: 'pino/file', level: options.level, options: { destination: 2 } });
  const base = { level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (targets.length === 0) return pino({ ...base, enabled: false });
  return pino(base, pino.transport({ targets }));
}

/** A logger that drops everything (library use, unit tests). */
export function silentLogger(): Logger {
  return pino({ enabled: false });
}

/** Flush pending lines before exit (pino transports run in a worker). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
    setTimeout(resolve, 1000).unref();
  });
}
