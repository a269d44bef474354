/**
 * Log files: exact names logs/combined.log and logs/error.log, rotated by size to
 * combined.log.1 ... combined.log.N with a bounded number of files, passwords redacted.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, setLogLevel } from '../../src/core/log.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'db-sync-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('service log files', () => {
  it('rotates combined.log by size into a bounded set of numbered files and keeps error.log to errors', () => {
    const logDir = path.join(dir, 'rot');
    const logger = createLogger({ level: 'info', logDir, rotateSize: 4096, files: 3 });
    for (let i = 0; i < 400; i += 1) logger.info({ i, pad: 'x'.repeat(60) }, 'line');
    logger.error({ code: 'DB_ERROR' }, 'something failed');
    const files = readdirSync(logDir).sort();
    expect(files).toEqual(['combined.log', 'combined.log.1', 'combined.log.2', 'combined.log.3', 'error.log']);
    for (const f of files) expect(statSync(path.join(logDir, f)).size).toBeLessThanOrEqual(4096);
    // Newest lines in the live file, older ones in .1, oldest kept in .3.
    const last = (f: string) => JSON.parse(readFileSync(path.join(logDir, f), 'utf8').trim().split('\n').at(-1)!) as { i?: number; msg: string };
    expect(last('combined.log').msg).toBe('something failed');
    expect(last('combined.log.2').i!).toBeLessThan(last('combined.log.1').i!);
    const errors = readFileSync(path.join(logDir, 'error.log'), 'utf8').trim().split('\n');
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0]!)).toMatchObject({ level: 50, code: 'DB_ERROR', msg: 'something failed' });
  });

  it('never writes a password, and applies a level change at run time to loggers made before it', () => {
    const logDir = path.join(dir, 'redact');
    const logger = createLogger({ level: 'info', logDir });
    const child = logger.child({ pair: 'p' });
    logger.info({ connection: { name: 'src', password: 's3cret' } }, 'connecting');
    child.debug({ row: [1, 'value'] }, 'row applied');
    setLogLevel('debug', logger);
    child.debug({ row: [2, 'value'] }, 'row applied');
    child.child({ pipeline: 'binlog' }).debug({ row: [3, 'value'] }, 'row applied');
    const text = readFileSync(path.join(logDir, 'combined.log'), 'utf8');
    expect(text).not.toContain('s3cret');
    expect(text).toContain('[redacted]');
    expect(text.match(/row applied/g)).toHaveLength(2);
    expect(text).toContain('"row":[2,"value"]');
    expect(text).toMatch(/"pair":"p","pipeline":"binlog","row":\[3,"value"\]/);
  });
});
