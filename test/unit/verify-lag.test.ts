import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishedLag, waitForLag } from '../../src/core/verify/wait-for-lag.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'verify-lag-'));
const file = path.join(dir, 'status.json');
const write = (running: boolean, lagMs: number | null, state = 'streaming') =>
  writeFileSync(file, JSON.stringify({ service: { running }, pairs: [{ name: 'p', state, lagMs }] }));

describe('waiting for the streaming service before a re-check', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the lag only of a pair a running service streams', () => {
    expect(publishedLag(path.join(dir, 'none.json'), 'p')).toBeNull();
    write(true, 5000);
    expect(publishedLag(file, 'p')).toBe(5000);
    expect(publishedLag(file, 'other')).toBeNull();
    write(false, 5000);
    expect(publishedLag(file, 'p')).toBeNull();
    write(true, 5000, 'error');
    expect(publishedLag(file, 'p')).toBeNull();
  });

  it('waits until the lag drops under the limit, and gives up at the timeout', async () => {
    write(true, 5000);
    const started = Date.now();
    setTimeout(() => write(true, 200), 300);
    await waitForLag(file, 'p', { maxLagMs: 1000, timeoutMs: 5000, pollMs: 50 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(2000);
    write(true, 9000);
    const t2 = Date.now();
    await waitForLag(file, 'p', { maxLagMs: 1000, timeoutMs: 300, pollMs: 50 });
    expect(Date.now() - t2).toBeLessThan(1500);
  });
});
