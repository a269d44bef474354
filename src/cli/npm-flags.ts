/**
 * `npm run cli status --json`: npm 7+ takes every `--flag` after the script name as its own
 * config and passes nothing on. What reaches us is (measured with npm 11, see README "npm run"):
 * - `--flag`          -> env npm_config_flag=true (unknown to npm, or an npm boolean such as json/yes)
 * - `--no-flag`       -> env npm_config_flag='' (unknown to npm; npm's own configs leave no trace)
 * - `--flag=value`    -> env npm_config_flag=value
 * - `--flag value`    -> npm_config_flag=true and `value` as a separate plain word, except for
 *                        npm's own string configs (`--name`, `--password`), which keep the value
 * - repeated flags    -> values joined with a blank line
 * This module rebuilds the argv db-sync would have got with `npm run cli -- ...`, for every option
 * the resolved command defines (a general mapping from commander's option list, no per-flag
 * cases). A value npm split off is placed only when that is unambiguous; otherwise the command is
 * refused with the exact command to type. Settings npm got from its config files or from the
 * environment it was started with are not flags the user typed and are left alone.
 */
import type { Command, Option } from 'commander';
import { SyncError } from '../core/errors.js';

/** Where npm got a config value from, when it was not the command line (null: typed). */
export type NpmOrigin = (envKey: string, value: string) => string | null;

export interface NpmFlagsResult {
  argv: string[];
  /** Flags recovered from npm's environment, as they are passed on. */
  recovered: string[];
  /** Things worth telling the user on stderr. */
  notes: string[];
}

interface FlagGroup {
  key: string;
  positive?: Option;
  negative?: Option;
}

const SCRIPT_MAIN = /\bcli\/main\.[jt]s\b/;

/** True when this process is db-sync run by an npm script (`npm run cli`, `npm start`, `npm run dev` ...). */
export function underNpmScript(env: NodeJS.ProcessEnv): boolean {
  return !!env.npm_lifecycle_event && (env.npm_config_user_agent ?? '').startsWith('npm/')
    && SCRIPT_MAIN.test(env.npm_lifecycle_script ?? '');
}

export function envKeyOf(flag: string): string {
  const key = flag.replace(/^--?/, '').replace(/^no-/, '');
  return `npm_config_${key.replace(/-/g, '_').toLowerCase()}`;
}

interface Resolved {
  chain: Command[];
  /** Index in `words` of the first word after the command path. */
  start: number;
}

function resolveCommand(program: Command, words: string[]): Resolved {
  const chain = [program];
  let i = 0;
  for (;;) {
    const cur = chain[chain.length - 1]!;
    const next = cur.commands.find((c) => c.name() === words[i] || c.aliases().includes(words[i] ?? ''));
    if (next) { chain.push(next); i += 1; continue; }
    const def = (cur as unknown as { _defaultCommandName?: string })._defaultCommandName;
    const fallback = def ? cur.commands.find((c) => c.name() === def) : undefined;
    if (!fallback) return { chain, start: i };
    chain.push(fallback);
  }
}

function flagGroups(chain: Command[]): Map<string, FlagGroup> {
  const groups = new Map<string, FlagGroup>();
  for (const cmd of chain) {
    for (const o of cmd.options) {
      for (const flag of [o.long, o.short].filter((f): f is string => !!f)) {
        const key = envKeyOf(flag);
        const g = groups.get(key) ?? { key: flag.replace(/^--?(no-)?/, '') };
        if (o.negate && flag === o.long) g.negative = o;
        else g.positive = o;
        groups.set(key, g);
      }
    }
  }
  return groups;
}

const takesValue = (o: Option | undefined): boolean => !!o && (o.required || o.optional);
const flagName = (o: Option, key: string): string => (o.long ?? o.short ?? `--${key}`);

/** Positional words after the command path (values of options typed after `--` are skipped). */
function positionals(words: string[], start: number, groups: Map<string, FlagGroup>): number[] {
  const out: number[] = [];
  for (let i = start; i < words.length; i += 1) {
    const w = words[i]!;
    if (w === '--') break;
    if (!w.startsWith('-')) { out.push(i); continue; }
    const o = groups.get(envKeyOf(w.split('=')[0]!))?.positive;
    if (!w.includes('=') && takesValue(o)) i += 1;
  }
  return out;
}

interface Collected {
  add: string[][];
  split: string[];
  notes: string[];
}

function collect(groups: Map<string, FlagGroup>, env: NodeJS.ProcessEnv, origin: NpmOrigin): Collected {
  const out: Collected = { add: [], split: [], notes: [] };
  // In the order the command defines its options: npm's environment does not keep the typed order.
  for (const [envKey, g] of groups) {
    const value = env[envKey];
    if (value === undefined) continue;
    const from = origin(envKey, value);
    if (from !== null) {
      if (value !== '') out.notes.push(`npm's setting ${g.key}=${value} (from ${from}) is not taken as --${g.key}`);
      continue;
    }
    for (const occ of value.split('\n\n')) {
      const pos = g.positive;
      if (occ === '') out.add.push([`--no-${g.key}`]);
      else if (occ === 'true' && takesValue(pos)) out.split.push(flagName(pos!, g.key));
      else if (occ === 'true') out.add.push([pos ? flagName(pos, g.key) : `--${g.key}`]);
      else if (takesValue(pos)) out.add.push([flagName(pos!, g.key), occ]);
      else out.add.push([`--${g.key}=${occ}`]);
    }
  }
  return out;
}

function shellWord(w: string): string {
  return /^[\w./:@%+=,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** `npm run cli -- <words>` (or `npm start -- ...`), without the words the script itself passes. */
export function npmCommand(env: NodeJS.ProcessEnv, words: string[]): string {
  const event = env.npm_lifecycle_event ?? 'cli';
  const fixed = (env.npm_lifecycle_script ?? '').split(SCRIPT_MAIN)[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
  const own = fixed.every((w, i) => words[i] === w) ? words.slice(fixed.length) : words;
  const npm = ['start', 'stop', 'restart', 'test'].includes(event) ? `npm ${event}` : `npm run ${event}`;
  return `${npm} -- ${own.map(shellWord).join(' ')}`.trimEnd();
}

/**
 * npm passed the values of these flags on as plain words, in the typed order, but the order of
 * the flags themselves is lost: refuse, with the command to type (values to fill in).
 */
function refuseSplit(env: NodeJS.ProcessEnv, words: string[], rest: number[], c: Collected): never {
  const keep = words.filter((_, i) => !rest.includes(i));
  const values = rest.map((i) => words[i]!);
  const command = `${npmCommand(env, [...keep, ...c.add.flat()])}${c.split.map((f) => ` ${f} <value>`).join('')}`;
  const quoted = values.map((v) => `"${v}"`).join(', ');
  const passed = values.length === 0 ? 'no value' : `${values.length === 1 ? 'the value' : 'the values'} ${quoted}`;
  throw new SyncError('NPM_FLAG_VALUES', `npm kept ${c.split.join(', ')} for itself and passed ${passed} on as `
    + `${values.length === 1 ? 'a plain word' : 'plain words'}, `
    + 'so db-sync cannot tell which value belongs to which flag', {
    hint: `Put -- after the script name so npm passes every word on unchanged: ${command}`,
  });
}

/**
 * The argv db-sync would have got had npm passed everything on. Throws NPM_FLAG_VALUES when npm
 * separated a flag from its value and the value's place is ambiguous.
 */
export function recoverNpmFlags(program: Command, argv: string[], env: NodeJS.ProcessEnv,
  origin: NpmOrigin): NpmFlagsResult {
  const words = argv.slice(2);
  const { chain, start } = resolveCommand(program, words);
  const groups = flagGroups(chain);
  const c = collect(groups, env, origin);
  const cmd = chain[chain.length - 1]!;
  const args = cmd.registeredArguments;
  const declared = args.some((a) => a.variadic) ? Infinity : args.length;
  const pos = positionals(words, start, groups);
  const rest = pos.slice(Math.min(declared, pos.length));
  let kept = words;
  if (c.split.length > 0) {
    if (declared !== 0 || c.split.length > 1 || rest.length > 1) refuseSplit(env, words, rest, c);
    c.add.push([c.split[0]!, ...rest.map((i) => words[i]!)]);
    kept = words.filter((_, i) => !rest.includes(i));
  }
  const recovered = c.add.flat();
  const dashdash = kept.indexOf('--');
  const out = dashdash < 0 ? [...kept, ...recovered]
    : [...kept.slice(0, dashdash), ...recovered, ...kept.slice(dashdash)];
  return { argv: [...argv.slice(0, 2), ...out], recovered, notes: c.notes };
}
