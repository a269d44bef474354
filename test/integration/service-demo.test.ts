/**
 * `db-sync demo` end to end: two throwaway servers, sample data, the service, a write load,
 * then target equals source and everything is cleaned up. Needs the real engine.
 */
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { runCli } from '../helpers/context.js';

const mariadbds = () => {
  try {
    return execFileSync('pgrep', ['-f', 'db-sync-demo-'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};

describe('demo', () => {
  it('syncs the sample database under a write load and removes its servers and folder afterwards', async () => {
    const before = mariadbds();
    const r = await runCli(['demo', '--duration', '12', '--rate', '30'], { ...process.env, NO_COLOR: '1' }, { timeoutMs: 180_000 });
    expect(r.stdout).toContain('target equals source. Done.');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/orders +source +(\d+) +target +\1/);
    const home = /config folder: (\S+)/.exec(r.stdout)?.[1];
    expect(home?.startsWith(os.tmpdir())).toBe(true);
    expect(existsSync(home!)).toBe(false);
    expect(mariadbds()).toBe(before);
  });
});
