import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT, CLI } from '../helpers/context.js';

describe('CLI entry points', () => {
  it('behaves the same through the db-sync bin and `npm run cli --`', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(path.resolve(ROOT, pkg.bin['db-sync'])).toBe(CLI);
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
    const direct = execFileSync(CLI, ['sync', '--help'], { encoding: 'utf8' });
    const viaNpm = execFileSync('npm', ['run', '--silent', 'cli', '--', 'sync', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(viaNpm).toBe(direct);
    expect(direct).toContain('add');
    expect(execFileSync(CLI, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
  });
});
