/**
 * Reading the service's JSON-line logs back (`db-sync logs`): the live file and its rotated
 * predecessors (combined.log.N ... combined.log.1, combined.log, oldest first), filtered by pair
 * and level, and following the live file across rotations the way `tail -F` does.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { SyncError } from './errors.js';
import { DEFAULT_ROTATE_FILES, LOG_FILES } from './log.js';

export const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export interface LogFilter {
  pair?: string;
  /** Lowest pino level number shown. */
  minLevel?: number;
}

/** One log line: the parsed JSON object, or null for a line that is not JSON (kept as text). */
export interface LogLine {
  text: string;
  entry: Record<string, unknown> | null;
}

export function parseLevel(name: string): number {
  const n = LEVELS[name.toLowerCase()];
  if (n === undefined) {
    const known = Object.keys(LEVELS).join(', ');
    throw new SyncError('INVALID_INPUT', `--level must be one of ${known}, got "${name}"`, {
      hint: 'e.g. --level warn (shows warn, error and fatal lines)',
    });
  }
  return n;
}

export function parseLine(text: string): LogLine {
  try {
    const v = JSON.parse(text) as unknown;
    return { text, entry: v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : null };
  } catch {
    // not a JSON line (pretty or foreign output): shown as text
    return { text, entry: null };
  }
}

export function matches(line: LogLine, f: LogFilter): boolean {
  if (f.pair === undefined && f.minLevel === undefined) return true;
  if (!line.entry) return false;
  if (f.pair !== undefined && line.entry.pair !== f.pair) return false;
  return f.minLevel === undefined || Number(line.entry.level) >= f.minLevel;
}

/** The log files that exist, oldest first (rotated ones by descending number, then the live file). */
export function logFiles(logDir: string, name: string = LOG_FILES.combined): string[] {
  if (!existsSync(logDir)) {
    throw new SyncError('LOGS_NOT_FOUND', `no log folder at ${logDir}`, {
      hint: 'The service writes its logs there once it has run (`db-sync service start`). '
        + 'Logs belong to a config folder: run in the same directory, or set the same DB_SYNC_HOME, as the service.',
    });
  }
  const live = path.join(logDir, name);
  return [...rotatedFiles(live), ...(existsSync(live) ? [live] : [])];
}

/** combined.log.N ... combined.log.1 that exist, oldest first. */
function rotatedFiles(live: string): string[] {
  const files: string[] = [];
  for (let i = DEFAULT_ROTATE_FILES + 5; i >= 1; i -= 1) {
    if (existsSync(`${live}.${i}`)) files.push(`${live}.${i}`);
  }
  return files;
}

/**
 * The last `limit` matching lines over all files (null: all of them). `liveBytes` stops the
 * live file at that size (where a follower started), so reading and following neither lose
 * nor repeat a line.
 */
export function readLog(logDir: string, filter: LogFilter, limit: number | null, liveBytes?: number): LogLine[] {
  const out: LogLine[] = [];
  const live = path.join(logDir, LOG_FILES.combined);
  for (const file of logFiles(logDir)) {
    let buf = readFileSync(file);
    if (file === live && liveBytes !== undefined) buf = buf.subarray(0, liveBytes);
    for (const text of buf.toString('utf8').split('\n')) {
      if (!text) continue;
      const line = parseLine(text);
      if (matches(line, filter)) out.push(line);
    }
    if (limit !== null && out.length > limit * 4) out.splice(0, out.length - limit);
  }
  return limit === null ? out : out.slice(Math.max(0, out.length - limit));
}

export interface FollowOptions {
  filter: LogFilter;
  pollMs?: number;
  onLine: (line: LogLine) => void;
}

/**
 * Follows the live file from its size when created: what is appended is passed on; when the
 * file is rotated (renamed to .1 and recreated), the rest of the old file is read first, then
 * the new one from its start.
 */
export class LogFollower {
  private readonly tail: Tail;
  /** Size of the live file when following started (0 when it does not exist yet). */
  readonly startBytes: number;

  constructor(logDir: string, private readonly opts: FollowOptions) {
    this.tail = new Tail(path.join(logDir, LOG_FILES.combined), opts);
    this.startBytes = this.tail.skipToEnd();
  }

  /** Resolves when the signal fires. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.tail.poll();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.pollMs ?? 250);
        signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    }
    this.tail.poll();
    this.tail.close();
  }
}

class Tail {
  private fd: number | null = null;
  private ino = -1;
  private offset = 0;
  private partial = '';
  private decoder = new StringDecoder('utf8');

  constructor(private readonly file: string, private readonly opts: FollowOptions) {}

  skipToEnd(): number {
    if (this.open()) this.offset = fstatSync(this.fd!).size;
    return this.offset;
  }

  poll(): void {
    if (this.fd === null && !this.open()) return;
    this.drain();
    const now = existsSync(this.file) ? statSync(this.file) : null;
    if (now && (now.ino !== this.ino || now.size < this.offset)) this.rotated();
  }

  /**
   * The old file is finished (its descriptor still reads it after the rename). Files rotated
   * after it, when several rotations happened between two polls, are read whole, then the new
   * live file from its start.
   */
  private rotated(): void {
    const old = this.ino;
    this.drain();
    this.close();
    const later = rotatedFiles(this.file);
    const idx = later.findIndex((f) => existsSync(f) && statSync(f).ino === old);
    for (const f of later.slice(idx + 1)) if (this.open(f)) { this.drain(); this.close(); }
    if (this.open()) this.drain();
  }

  private open(file = this.file): boolean {
    try {
      this.fd = openSync(file, 'r');
    } catch {
      // the file is not there (yet, or rotated away): the follower retries
      return false;
    }
    this.ino = fstatSync(this.fd).ino;
    this.offset = 0;
    this.decoder = new StringDecoder('utf8');
    return true;
  }

  private drain(): void {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(this.fd!, buf, 0, buf.length, this.offset);
      if (n <= 0) return;
      this.offset += n;
      const lines = (this.partial + this.decoder.write(buf.subarray(0, n))).split('\n');
      this.partial = lines.pop() ?? '';
      for (const text of lines) {
        const line = parseLine(text);
        if (text && matches(line, this.opts.filter)) this.opts.onLine(line);
      }
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
