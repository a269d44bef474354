import { mkdirSync, readFileSync, existsSync, chmodSync } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { z } from 'zod';
import { SyncError } from '../errors.js';
import { configSchema, defaultConfig, type Config } from './schema.js';

/** Where db-sync keeps its files. `DB_SYNC_HOME` wins; else `.db-sync/` under the working directory. */
export interface Paths {
  home: string;
  configFile: string;
  logDir: string;
  pidFile: string;
  statusFile: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Paths {
  const explicit = env.DB_SYNC_HOME;
  const home = explicit ? path.resolve(cwd, explicit) : path.join(cwd, '.db-sync');
  // logs/ sits beside .db-sync/ in the working directory, or inside DB_SYNC_HOME.
  const logDir = explicit ? path.join(home, 'logs') : path.join(cwd, 'logs');
  return {
    home,
    configFile: path.join(home, 'config.json'),
    logDir,
    pidFile: path.join(home, 'service.pid'),
    statusFile: path.join(home, 'status.json'),
  };
}

/** Format a zod issue path the way users read it: `connections[1].port`. */
export function formatIssuePath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of p) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((iss) => `${formatIssuePath(iss.path)}: ${iss.message}`);
}

function lineOfPosition(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return { line, column };
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const m = /position (\d+)/.exec(msg);
    const where = m ? lineOfPosition(text, Number(m[1])) : { line: text.split('\n').length, column: 0 };
    const at = `line ${where.line}, column ${where.column}`;
    throw new SyncError('CONFIG_MALFORMED', `${file}: malformed JSON at ${at}: ${msg}`, {
      hint: 'Fix the JSON syntax at that line (or restore the file from a backup); db-sync has not changed it.',
      cause: err,
    });
  }
}

/** Cross-field rules zod cannot express per field: unique names and existing references. */
export function referenceProblems(config: Config): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  config.connections.forEach((c, i) => {
    if (seen.has(c.name)) problems.push(`connections[${i}].name: duplicate connection name "${c.name}"`);
    seen.add(c.name);
  });
  const pairs = new Set<string>();
  config.syncPairs.forEach((p, i) => {
    if (pairs.has(p.name)) problems.push(`syncPairs[${i}].name: duplicate sync pair name "${p.name}"`);
    pairs.add(p.name);
    if (!seen.has(p.source)) problems.push(`syncPairs[${i}].source: unknown connection "${p.source}"`);
    if (!seen.has(p.target)) problems.push(`syncPairs[${i}].target: unknown connection "${p.target}"`);
    p.throttleReplicas.forEach((r, j) => {
      if (!seen.has(r)) problems.push(`syncPairs[${i}].throttleReplicas[${j}]: unknown connection "${r}"`);
    });
  });
  return problems;
}

export function validateConfig(raw: unknown, file: string): Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = formatZodIssues(parsed.error);
    throw new SyncError('CONFIG_INVALID', `${file}: invalid configuration:\n  ${lines.join('\n  ')}`, {
      hint: 'Correct the named fields in the file (or use the db-sync commands to edit it).',
      details: { problems: lines },
    });
  }
  const problems = referenceProblems(parsed.data);
  if (problems.length > 0) {
    throw new SyncError('CONFIG_INVALID', `${file}: invalid configuration:\n  ${problems.join('\n  ')}`, {
      hint: 'Correct the named fields in the file (or use the db-sync commands to edit it).',
      details: { problems },
    });
  }
  return parsed.data;
}

export class ConfigStore {
  constructor(readonly paths: Paths = resolvePaths()) {}

  get file(): string {
    return this.paths.configFile;
  }

  exists(): boolean {
    return existsSync(this.file);
  }

  /** Load and validate; a missing file is an empty default config. */
  load(): Config {
    if (!this.exists()) return defaultConfig();
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      throw new SyncError('CONFIG_UNREADABLE', `${this.file}: cannot read: ${(err as Error).message}`, {
        hint: 'Check the file permissions (db-sync writes it with mode 0600 for the user that runs it).',
        cause: err,
      });
    }
    return validateConfig(parseJson(this.file, text), this.file);
  }

  /** Validate, then write atomically (temp file + rename) with mode 0600. */
  save(config: Config): void {
    const valid = validateConfig(config, this.file);
    mkdirSync(this.paths.home, { recursive: true, mode: 0o700 });
    writeFileAtomic.sync(this.file, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600 });
    chmodSync(this.file, 0o600);
  }

  /** Load, change, save: the one way commands edit the config. */
  update(change: (config: Config) => void): Config {
    const config = this.load();
    change(config);
    this.save(config);
    return config;
  }
}
