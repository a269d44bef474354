/**
 * The pieces of the npm flag recovery that need no npm: the mapping from npm's environment
 * back to flags (on a small commander program), npmrc parsing, and finding the environment
 * npm started with in a /proc-like tree. test/integration/npm-flags.test.ts runs the real npm.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { envKeyOf, npmCommand, recoverNpmFlags, underNpmScript } from '../../src/cli/npm-flags.js';
import { npmStartEnv, parseNpmrc } from '../../src/cli/npm-origin.js';

function program(): Command {
  const p = new Command('db-sync');
  const logs = p.command('logs').option('--follow').option('--pair <name>').option('--lines <n>');
  logs.action(() => undefined);
  p.command('verify').argument('<pair>').option('--table <name...>').option('--no-recheck').action(() => undefined);
  return p;
}

const npmEnv = (extra: Record<string, string>) => ({
  npm_lifecycle_event: 'cli', npm_lifecycle_script: 'node dist/cli/main.js', npm_config_user_agent: 'npm/11.0.0 node/v20', ...extra,
});
const typed = () => null;
const argv = (...words: string[]) => ['node', 'main.js', ...words];

describe('npm flag recovery (pure)', () => {
  it('knows when it runs as an npm script of db-sync', () => {
    expect(underNpmScript(npmEnv({}))).toBe(true);
    expect(underNpmScript({ ...npmEnv({}), npm_config_user_agent: 'pnpm/9' })).toBe(false);
    expect(underNpmScript({ ...npmEnv({}), npm_lifecycle_script: 'npm run build && vitest run' })).toBe(false);
    expect(envKeyOf('--no-allow-destructive')).toBe('npm_config_allow_destructive');
  });

  it('turns true into the flag, empty into --no-flag, a value into flag + value', () => {
    const r = recoverNpmFlags(program(), argv('verify', 'p'), npmEnv({ npm_config_recheck: '', npm_config_table: 'a\n\nb' }), typed);
    expect(r.argv.slice(2)).toEqual(['verify', 'p', '--table', 'a', '--table', 'b', '--no-recheck']);
  });

  it('places one split value on a command without arguments, refuses when it cannot tell', () => {
    const one = recoverNpmFlags(program(), argv('logs', 'shop'), npmEnv({ npm_config_pair: 'true', npm_config_follow: 'true' }), typed);
    expect(one.argv.slice(2)).toEqual(['logs', '--follow', '--pair', 'shop']);
    expect(() => recoverNpmFlags(program(), argv('logs', 'shop', '5'), npmEnv({ npm_config_pair: 'true', npm_config_lines: 'true' }), typed))
      .toThrow(/npm kept --pair, --lines for itself and passed the values "shop", "5" on as plain words/);
    expect(() => recoverNpmFlags(program(), argv('verify', 'p', 't1'), npmEnv({ npm_config_table: 'true' }), typed))
      .toThrow(expect.objectContaining({ code: 'NPM_FLAG_VALUES', hint: expect.stringMatching(/: npm run cli -- verify p --table <value>$/) }));
  });

  it('leaves settings npm got elsewhere alone, with a note', () => {
    const r = recoverNpmFlags(program(), argv('logs'), npmEnv({ npm_config_follow: 'true' }), () => '/home/u/.npmrc');
    expect(r.argv.slice(2)).toEqual(['logs']);
    expect(r.notes).toEqual(["npm's setting follow=true (from /home/u/.npmrc) is not taken as --follow"]);
  });

  it('renders the command to type for npm start too', () => {
    const env = { ...npmEnv({}), npm_lifecycle_event: 'start', npm_lifecycle_script: 'node dist/cli/main.js service start' };
    expect(npmCommand(env, ['service', 'start', '--metrics-port', '9464'])).toBe('npm start -- --metrics-port 9464');
    expect(npmCommand(npmEnv({}), ['sync', 'add', '--include', 'orders*'])).toBe("npm run cli -- sync add --include 'orders*'");
  });
});

describe('npm config origins', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'db-sync-proc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses npmrc lines the way npm exports them', () => {
    const m = parseNpmrc('; comment\nyes=true\nfund = false\njson="true"\nca[]=a\nca[]=b\n');
    expect(Object.fromEntries(m)).toEqual({ npm_config_yes: 'true', npm_config_fund: '', npm_config_json: 'true', npm_config_ca: 'a\n\nb' });
  });

  it('reads the environment of the nearest npm ancestor from /proc', () => {
    const proc = (pid: number, ppid: number, cmdline: string, environ: string) => {
      mkdirSync(path.join(dir, String(pid)), { recursive: true });
      writeFileSync(path.join(dir, String(pid), 'stat'), `${pid} (x y) S ${ppid} 1 1`);
      writeFileSync(path.join(dir, String(pid), 'cmdline'), cmdline);
      writeFileSync(path.join(dir, String(pid), 'environ'), environ);
    };
    proc(40, 30, 'sh\0-c\0node dist/cli/main.js\0', 'A=1\0');
    proc(30, 20, 'npm run cli status\0\0\0', 'NPM_CONFIG_YES=true\0HOME=/root\0');
    proc(20, 1, 'bash\0', 'B=2\0');
    expect(npmStartEnv(40, dir)?.get('npm_config_yes')).toBe('true');
    expect(npmStartEnv(20, dir)).toBeNull();
  });
});
