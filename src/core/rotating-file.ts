/**
 * A size-rotating append-only file for log lines: the live file keeps its exact name
 * (combined.log) and full files move to combined.log.1 ... combined.log.N (oldest dropped).
 * Writes are synchronous so the last lines before a crash or process.exit are on disk.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface RotatingFileOptions {
  file: string;
  /** Rotate when the live file would exceed this many bytes. */
  maxBytes: number;
  /** Rotated files kept besides the live one. */
  files: number;
}

/** '10m', '512k', '1g' or a plain byte count. */
export function parseSize(size: string | number): number {
  if (typeof size === 'number') return size;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(size.trim());
  if (!m) throw new Error(`invalid size "${size}" (expected e.g. 10m, 512k or a byte count)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * mult);
}

export class RotatingFile {
  private fd: number;
  private size: number;

  constructor(private readonly options: RotatingFileOptions) {
    mkdirSync(path.dirname(options.file), { recursive: true });
    this.fd = openSync(options.file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  /** pino's stream interface: one call per serialized line. */
  write(line: string): boolean {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.options.maxBytes) this.rotate();
    writeSync(this.fd, line);
    this.size += bytes;
    return true;
  }

  private rotate(): void {
    closeSync(this.fd);
    const { file, files } = this.options;
    if (files <= 0) {
      rmSync(file, { force: true });
    } else {
      rmSync(`${file}.${files}`, { force: true });
      for (let i = files - 1; i >= 1; i -= 1) {
        if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      }
      renameSync(file, `${file}.1`);
    }
    this.fd = openSync(file, 'a', 0o600);
    this.size = 0;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}
