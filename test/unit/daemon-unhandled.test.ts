import { describe, it, expect, afterEach } from 'vitest';
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SyncError } from '../../src/core/errors.js';
import { watchUnhandledRejections } from '../../src/daemon/unhandled.js';
import { silentLogger } from '../../src/core/log.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const homes: string[] = [];
afterEach(() => { for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true }); });

describe('unhandled promise rejections in the service', () => {
  it('settles the watch with the rejection as a SyncError, and stops listening once disposed', async () => {
    const target = new EventEmitter();
    const watch = watchUnhandledRejections(silentLogger(), target);
    expect(target.listenerCount('unhandledRejection')).toBe(1);
    target.emit('unhandledRejection', new Error('plain'));
    const err = await watch.fired;
    expect(err).toBeInstanceOf(SyncError);
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toBe('plain');
    watch.dispose();
    expect(target.listenerCount('unhandledRejection')).toBe(0);
  });

  it('stops the service with exit code 1 and logs the error with its code', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'db-sync-unhandled-'));
    homes.push(home);
    const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(tsx, [path.join(ROOT, 'test/fixtures/stray-rejection.ts'), home],
        { cwd: ROOT, timeout: 30_000 }, (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
    });
    expect(r.stdout, r.stderr).toContain('runService returned 1');
    expect(r.code).toBe(1);
    const errors = readFileSync(path.join(home, 'logs/error.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(errors).toContainEqual(expect.objectContaining({
      msg: 'unhandled promise rejection: stopping the service', code: 'DB_ERROR', err: 'a stray rejection',
    }));
  }, 90_000);
});
