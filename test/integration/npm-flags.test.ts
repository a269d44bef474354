/**
 * Every option of every db-sync command, typed after `npm run cli` WITHOUT `--`, through real
 * npm: the flag recovery (src/cli/npm-flags.ts) must rebuild what `npm run cli -- ...` passes, or
 * refuse with that exact command. A probe project whose `cli` script is a stand-in main.js prints
 * the recovered argv instead of running the command, so each form costs one npm start only.
 * NPM_BEHAVIOUR is the table the README documents: what npm itself does with the few flags it
 * never lets through.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { ROOT } from '../helpers/context.js';
import { runNpm, type NpmResult } from '../helpers/npm.js';
import { buildProgram } from '../../src/cli/program.js';

type Outcome = 'honoured' | 'refused' | 'dropped' | 'npm-usage';

/** Observed with npm 11: flags npm acts on itself, so db-sync never sees them (forms: any). */
const NPM_BEHAVIOUR: Record<string, Outcome> = {
  '--hash': 'npm-usage', // all its letters are npm one-letter shorthands (-h = --usage): npm prints its help, runs nothing
  '--include': 'dropped', // npm's own array setting (prod|dev|optional|peer): "invalid config", value discarded
  '--no-password': 'dropped', // npm's own `password` setting, reset to its default: no trace left
};

let probe: string;
beforeAll(() => {
  probe = mkdtempSync(path.join(os.tmpdir(), 'db-sync-npm-probe-'));
  mkdirSync(path.join(probe, 'cli'));
  writeFileSync(path.join(probe, 'package.json'), JSON.stringify({ name: 'probe', version: '1.0.0', type: 'module', scripts: { cli: 'node cli/main.js' } }));
  const dist = (f: string) => JSON.stringify(path.join(ROOT, 'dist/cli', f));
  writeFileSync(path.join(probe, 'cli/main.js'), `
import { buildProgram } from ${dist('program.js')};
import { recoverNpmFlags, underNpmScript } from ${dist('npm-flags.js')};
import { npmOrigin } from ${dist('npm-origin.js')};
let out;
try {
  const r = recoverNpmFlags(buildProgram(), process.argv, process.env, npmOrigin(process.env, process.ppid));
  out = { under: underNpmScript(process.env), argv: r.argv.slice(2), notes: r.notes };
} catch (e) { out = { under: underNpmScript(process.env), error: { code: e.code, message: e.message, hint: e.hint } }; }
console.log('PROBE ' + JSON.stringify(out));
`);
});
afterAll(() => rmSync(probe, { recursive: true, force: true }));

interface Probe { under: boolean; argv?: string[]; notes?: string[]; error?: { code: string; message: string; hint: string } }

function parseProbe(r: NpmResult): Probe | null {
  const line = r.stdout.split('\n').find((l) => l.startsWith('PROBE '));
  return line ? JSON.parse(line.slice(6)) as Probe : null;
}

interface Case { words: string[]; typed: string[]; expected: string[]; outcome: Outcome; label: string }

function commandPaths(cmd: Command, prefix: string[] = []): Array<{ cmd: Command; path: string[] }> {
  const own = cmd.options.length > 0 || cmd.commands.length === 0 ? [{ cmd, path: prefix }] : [];
  return [...own, ...cmd.commands.flatMap((c) => commandPaths(c, [...prefix, c.name()]))];
}

function casesFor(cmd: Command, words: string[], o: Option): Case[] {
  const flag = o.long!;
  const args = cmd.registeredArguments.map((a) => (a.variadic ? 'k=v' : 'ARG'));
  const base = [...words, ...args];
  const fixed = NPM_BEHAVIOUR[flag];
  const mk = (typed: string[], expected: string[], outcome: Outcome): Case => ({
    words: base, typed, expected, outcome: fixed ?? outcome, label: `${words.join(' ')} ${typed.join(' ')}`,
  });
  if (!(o.required || o.optional)) return [mk([flag], [flag], 'honoured')];
  const npmKeepsValue = flag === '--name' || flag === '--password'; // npm's own string settings
  return [
    mk([`${flag}=v1`], [flag, 'v1'], 'honoured'),
    mk([flag, 'v1'], [flag, 'v1'], npmKeepsValue || args.length === 0 ? 'honoured' : 'refused'),
  ];
}

function allCases(): Case[] {
  const program = buildProgram();
  const cases = commandPaths(program).flatMap(({ cmd, path: words }) => cmd.options
    .filter((o) => o.long && o.long !== '--version')
    .flatMap((o) => casesFor(cmd, words, o)));
  cases.push({ words: [], typed: ['-V'], expected: ['--version'], outcome: 'honoured', label: '-V' });
  // The outcome depends on the flag's spelling, its form and whether the command takes arguments:
  // one case per such combination keeps every option covered at a third of the npm starts.
  const seen = new Set<string>();
  return cases.filter((c) => {
    const key = `${c.typed.join(' ').replace(/v1/, 'V')}|${c.words.some((w) => w === 'ARG' || w === 'k=v')}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

async function check(c: Case): Promise<void> {
  const r = await runNpm(['run', 'cli', ...c.words, ...c.typed], { cwd: probe, env: process.env, timeoutMs: 30_000 });
  const p = parseProbe(r);
  const ctx = `${c.label}: ${r.stdout}${r.stderr}`;
  if (c.outcome === 'npm-usage') {
    expect(p, ctx).toBeNull();
    expect(r.stdout, ctx).toContain('npm run <command> [-- <args>]');
    return;
  }
  expect(p?.under, ctx).toBe(true);
  if (c.outcome === 'refused') {
    expect(p?.error?.code, ctx).toBe('NPM_FLAG_VALUES');
    expect(p?.error?.hint, ctx).toMatch(new RegExp(`: npm run cli -- ${[...c.words, c.expected[0], '<value>'].join(' ').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expect(p?.error?.message, ctx).toContain(`passed the value "${c.expected[1]}" on as a plain word`);
    return;
  }
  expect(p?.error, ctx).toBeUndefined();
  expect(p?.argv, ctx).toEqual(c.outcome === 'dropped' ? c.words : [...c.words, ...c.expected]);
}

describe('npm run cli <command> --flag (no --) for every option', () => {
  it('rebuilds the argv of `npm run cli -- ...`, or refuses with that command, for every option and form', async () => {
    const cases = allCases();
    expect(cases.length).toBeGreaterThan(50);
    for (let i = 0; i < cases.length; i += 4) await Promise.all(cases.slice(i, i + 4).map(check));
  }, 300_000);

  it('does not take npm settings from ~/.npmrc or from the environment npm started with as typed flags', async () => {
    const rc = path.join(probe, 'userrc');
    writeFileSync(rc, 'yes=true\njson=true\n');
    const fromFile = parseProbe(await runNpm(['run', 'cli', 'cutover', 'p'], { cwd: probe, env: { ...process.env, npm_config_userconfig: rc } }));
    expect(fromFile?.argv).toEqual(['cutover', 'p']);
    expect(fromFile?.notes?.join('\n')).toContain(`npm's setting yes=true (from ${rc})`);
    const fromEnv = parseProbe(await runNpm(['run', 'cli', 'status'], { cwd: probe, env: { ...process.env, npm_config_json: 'true' } }));
    expect(fromEnv?.argv).toEqual(['status']);
    expect(fromEnv?.notes?.join('\n')).toContain('from the environment npm was started with');
    // ... while the same flags typed on the command line are taken.
    const typed = parseProbe(await runNpm(['run', 'cli', 'cutover', 'p', '--yes'], { cwd: probe, env: process.env }));
    expect(typed?.argv).toEqual(['cutover', 'p', '--yes']);
  });

  it('keeps every word after `--` as typed and adds nothing', async () => {
    const r = parseProbe(await runNpm(['run', 'cli', '--', 'verify', 'p', '--table', 'a', 'b', '--hash', 'md5'], { cwd: probe, env: process.env }));
    expect(r?.argv).toEqual(['verify', 'p', '--table', 'a', 'b', '--hash', 'md5']);
  });
});
