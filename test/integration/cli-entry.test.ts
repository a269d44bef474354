import { describe, it, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * The built command runs its bundle through a V8 code cache (src/cli/launch.ts). A copy of the
 * two built files in a folder of its own (under dist/, so that node_modules still resolves)
 * shows what becomes of the cache; DB_SYNC_CODE_CACHE=report says it on stderr.
 */
describe('the code cache of the built command', () => {
  const run = (dir: string, args: string[], mode = 'report', nodeFlags: string[] | null = null) => {
    // null: through the shebang, as the db-sync command starts
    const [cmd, argv] = nodeFlags ? [process.execPath, [...nodeFlags, path.join(dir, 'main.js'), ...args]]
      : [path.join(dir, 'main.js'), args];
    const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, DB_SYNC_CODE_CACHE: mode } });
    const cache = /code cache (\w+): /.exec(r.stderr)?.[1];
    return { code: r.status, stdout: r.stdout, cache, files: readdirSync(dir).filter((f) => f.includes('.v8cache')) };
  };

  it('is written by the first run of a build, used after it, and rewritten when unusable or stale', () => {
    const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const dir = mkdtempSync(path.join(ROOT, 'dist', 'launch-test-'));
    try {
      for (const f of ['main.js', 'db-sync.cjs']) copyFileSync(path.join(path.dirname(CLI), f), path.join(dir, f));
      const first = run(dir, ['--version']);
      expect(first).toMatchObject({ code: 0, stdout: `${version}\n`, cache: 'absent' });
      expect(first.files).toHaveLength(1);
      expect(run(dir, ['--version'])).toMatchObject({ code: 0, cache: 'used', files: first.files });
      // another command: a cache of its own (with the functions it compiles), the first one stays
      const second = run(dir, ['sync', '--help']);
      expect(second).toMatchObject({ code: 0, cache: 'absent' });
      expect(second.stdout).toContain('add');
      expect(second.files).toHaveLength(2);
      expect(second.files).toEqual(expect.arrayContaining(first.files));
      expect(run(dir, ['sync', 'run', '--help'])).toMatchObject({ code: 0, cache: 'used', files: second.files });
      expect(run(dir, ['--version'])).toMatchObject({ cache: 'used' });
      // other node flags: a cache of their own, and the usual one stays
      const other = run(dir, ['--version'], 'report', ['--max-semi-space-size=4']);
      expect(other).toMatchObject({ code: 0, stdout: `${version}\n`, cache: 'absent' });
      expect(other.files).toHaveLength(3);
      expect(run(dir, ['--version'], 'report', ['--max-semi-space-size=4'])).toMatchObject({ cache: 'used' });
      expect(run(dir, ['--version'])).toMatchObject({ cache: 'used' });
      for (const f of other.files) if (!first.files.includes(f)) rmSync(path.join(dir, f));
      // a damaged cache is rejected by V8: the command still runs, and the cache is made again
      writeFileSync(path.join(dir, first.files[0] as string), Buffer.alloc(4096, 7));
      expect(run(dir, ['--version'])).toMatchObject({ code: 0, stdout: `${version}\n`, cache: 'rejected' });
      expect(run(dir, ['--version'])).toMatchObject({ code: 0, cache: 'used', files: first.files });
      // a changed bundle never reads the cache of the one before
      appendFileSync(path.join(dir, 'db-sync.cjs'), '\n// rebuilt\n');
      const rebuilt = run(dir, ['--version']);
      expect(rebuilt).toMatchObject({ code: 0, stdout: `${version}\n`, cache: 'absent' });
      expect(rebuilt.files).toHaveLength(2);
      expect(rebuilt.files).toEqual(expect.arrayContaining(first.files));
      // off: none read, none written
      rmSync(path.join(dir, first.files[0] as string));
      for (const f of rebuilt.files) rmSync(path.join(dir, f), { force: true });
      expect(run(dir, ['--version'], 'off')).toMatchObject({ code: 0, stdout: `${version}\n`, files: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
