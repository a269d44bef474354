/**
 * Was an `npm_config_*` value typed on the npm command line, or did npm get it elsewhere?
 * npm exports every non-default setting to scripts, whatever its source, so `yes=true` in
 * ~/.npmrc or `npm_config_yes=true` exported in a CI job looks exactly like a typed `--yes`.
 * Those two sources are visible from here: npm's config files (project, user, global, builtin)
 * and, on Linux, the environment the npm process itself was started with (/proc/PID/environ of
 * the nearest npm ancestor; npm rewrites its own command line for privacy, so that cannot be read).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { NpmOrigin } from './npm-flags.js';

const toEnvKey = (k: string): string => `npm_config_${k.replace(/-/g, '_').toLowerCase()}`;

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // no such file or unreadable: not installed from npm
    return null;
  }
}

/** `key=value` lines of an npmrc, as npm would export them to a script's environment. */
export function parseNpmrc(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const eq = line.indexOf('=');
    if (!line || line.startsWith('#') || line.startsWith(';') || eq < 1) continue;
    const key = line.slice(0, eq).trim().replace(/\[\]$/, '');
    let value = line.slice(eq + 1).trim().replace(/^(["'])(.*)\1$/, '$2');
    if (value === 'false' || value === 'null') value = '';
    const envKey = toEnvKey(key);
    const prev = out.get(envKey);
    out.set(envKey, line.slice(0, eq).trim().endsWith('[]') && prev !== undefined ? `${prev}\n\n${value}` : value);
  }
  return out;
}

function npmrcFiles(env: NodeJS.ProcessEnv): string[] {
  const files = [
    env.npm_config_local_prefix && path.join(env.npm_config_local_prefix, '.npmrc'),
    env.npm_config_userconfig,
    env.npm_config_globalconfig,
    env.npm_execpath && path.join(path.dirname(env.npm_execpath), '..', 'npmrc'),
  ];
  return files.filter((f): f is string => !!f);
}

function parentOf(pid: number, proc: string): number | null {
  const stat = readText(path.join(proc, String(pid), 'stat'));
  const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : NaN;
  return Number.isInteger(ppid) && ppid > 1 ? ppid : null;
}

function isNpm(pid: number, proc: string): boolean {
  const args = (readText(path.join(proc, String(pid), 'cmdline')) ?? '').split('\0');
  // npm sets its title to "npm run cli ..."; without that, argv[1] is npm's own script.
  return args[0]!.split(' ')[0] === 'npm' || /^npm(-cli\.js)?$/.test(path.basename(args[1] ?? ''));
}

/** The environment the nearest npm ancestor started with, or null when it cannot be read. */
export function npmStartEnv(startPid: number, proc = '/proc'): Map<string, string> | null {
  let pid: number | null = startPid;
  for (let depth = 0; pid !== null && depth < 8; depth += 1) {
    if (isNpm(pid, proc)) {
      const text = readText(path.join(proc, String(pid), 'environ'));
      if (text === null) return null;
      const vars = text.split('\0').filter(Boolean).map((kv) => {
        const eq = kv.indexOf('=');
        return [kv.slice(0, eq).toLowerCase(), kv.slice(eq + 1)] as const;
      });
      return new Map(vars);
    }
    pid = parentOf(pid, proc);
  }
  return null;
}

export function npmOrigin(env: NodeJS.ProcessEnv, ppid: number, proc = '/proc'): NpmOrigin {
  const started = npmStartEnv(ppid, proc);
  const files = npmrcFiles(env).map((file) => ({ file, values: parseNpmrc(readText(file) ?? '') }));
  return (envKey, value) => {
    if (started?.get(envKey) === value) return 'the environment npm was started with';
    const hit = files.find((f) => f.values.get(envKey) === value);
    return hit ? hit.file : null;
  };
}
