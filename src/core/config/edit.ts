/**
 * Config edits with their rules: names unique, pairs reference existing connections,
 * a connection in use cannot be removed, a pair's source and target differ, globs are valid.
 * Each function mutates the given config or throws a SyncError; ConfigStore.update saves.
 */
import picomatch from 'picomatch';
import { SyncError } from '../errors.js';
import { connectionSchema, syncPairSchema, type Config, type ConnectionConfig, type SyncPairConfig } from './schema.js';
import { formatZodIssues } from './store.js';

type Parsed<T> = { success: true; data: T } | { success: false; error: import('zod').ZodError };

function parseOrThrow<T>(schema: { safeParse(v: unknown): Parsed<T> }, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const lines = formatZodIssues(r.error);
    throw new SyncError('INVALID_INPUT', `invalid ${what}:\n  ${lines.join('\n  ')}`, {
      hint: 'Correct the named values and run the command again.',
      details: { problems: lines },
    });
  }
  return r.data;
}

export function findConnection(config: Config, name: string): ConnectionConfig {
  const c = config.connections.find((x) => x.name === name);
  if (!c) {
    const known = config.connections.map((x) => x.name).join(', ') || 'none yet';
    throw new SyncError('CONNECTION_NOT_FOUND', `unknown connection "${name}" (known: ${known})`, {
      hint: 'Add it with `db-sync connection add` or check `db-sync connection list`.',
    });
  }
  return c;
}

export function findPair(config: Config, name: string): SyncPairConfig {
  const p = config.syncPairs.find((x) => x.name === name);
  if (!p) {
    const known = config.syncPairs.map((x) => x.name).join(', ') || 'none yet';
    throw new SyncError('PAIR_NOT_FOUND', `unknown sync pair "${name}" (known: ${known})`, {
      hint: 'Create it with `db-sync sync add` or check `db-sync sync list`.',
    });
  }
  return p;
}

export function addConnection(config: Config, input: Record<string, unknown>): ConnectionConfig {
  const conn = parseOrThrow(connectionSchema, input, 'connection');
  if (config.connections.some((c) => c.name === conn.name)) {
    throw new SyncError('DUPLICATE_NAME', `a connection named "${conn.name}" already exists`, {
      hint: 'Choose another --name, or remove the old one first with `db-sync connection remove`.',
    });
  }
  config.connections.push(conn);
  return conn;
}

/** Change some fields of a connection (e.g. re-point it to a promoted replica); the name stays. */
export function editConnection(config: Config, name: string, changes: Record<string, unknown>): ConnectionConfig {
  const index = config.connections.findIndex((c) => c.name === name);
  const old = findConnection(config, name);
  const merged: Record<string, unknown> = { ...old, ...changes, name };
  if ('password' in changes) delete merged.passwordEnv;
  if ('passwordEnv' in changes) delete merged.password;
  const conn = parseOrThrow(connectionSchema, merged, 'connection');
  config.connections[index] = conn;
  for (const p of config.syncPairs.filter((x) => x.source === name || x.target === name)) validatePair(config, p);
  return conn;
}

export function pairsUsing(config: Config, connection: string): string[] {
  return config.syncPairs
    .filter((p) => p.source === connection || p.target === connection || p.throttleReplicas.includes(connection))
    .map((p) => p.name);
}

export function removeConnection(config: Config, name: string): void {
  findConnection(config, name);
  const users = pairsUsing(config, name);
  if (users.length > 0) {
    const pairs = users.length === 1 ? 'pair' : 'pairs';
    const names = users.map((u) => `"${u}"`).join(', ');
    throw new SyncError('CONNECTION_IN_USE', `connection "${name}" is used by sync ${pairs} ${names}`, {
      hint: `Remove the ${pairs} first with \`db-sync sync remove ${users[0]}\`.`,
    });
  }
  config.connections = config.connections.filter((c) => c.name !== name);
}

/** Validate glob patterns up front so a typo fails at `sync add`, not at run time. */
export function checkGlob(pattern: string): void {
  try {
    if (!pattern.trim()) throw new Error('empty pattern');
    picomatch.makeRe(pattern, { strictBrackets: true });
  } catch (err) {
    throw new SyncError('INVALID_GLOB', `invalid table pattern ${JSON.stringify(pattern)}: ${(err as Error).message}`, {
      hint: 'Use glob syntax over table names: * matches any run of characters, ? one character, '
        + '[abc] a set, {a,b} alternatives.',
    });
  }
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '0.0.0.0']);
function sameServer(a: ConnectionConfig, b: ConnectionConfig): boolean {
  const ha = LOCAL_HOSTS.has(a.host.toLowerCase()) ? 'local' : a.host.toLowerCase();
  const hb = LOCAL_HOSTS.has(b.host.toLowerCase()) ? 'local' : b.host.toLowerCase();
  return ha === hb && a.port === b.port && a.database === b.database;
}

export function validatePair(config: Config, pair: SyncPairConfig): void {
  const source = findConnection(config, pair.source);
  const target = findConnection(config, pair.target);
  if (sameServer(source, target)) {
    const where = `${source.host}:${source.port}/${source.database}`;
    throw new SyncError('SOURCE_IS_TARGET', `sync pair "${pair.name}": source "${source.name}" `
      + `and target "${target.name}" are the same database (${where})`, {
      hint: 'A pair copies from one database to a different one: '
        + 'pick another --target (another server, port or database).',
    });
  }
  [...pair.include, ...pair.exclude].forEach(checkGlob);
}

export function addPair(config: Config, input: Record<string, unknown>): SyncPairConfig {
  const pair = parseOrThrow(syncPairSchema, input, 'sync pair');
  if (config.syncPairs.some((p) => p.name === pair.name)) {
    throw new SyncError('DUPLICATE_NAME', `a sync pair named "${pair.name}" already exists`, {
      hint: 'Choose another --name, or change the existing pair with `db-sync sync edit`.',
    });
  }
  validatePair(config, pair);
  config.syncPairs.push(pair);
  return pair;
}

export function editPair(config: Config, name: string, changes: Record<string, unknown>): SyncPairConfig {
  const index = config.syncPairs.findIndex((p) => p.name === name);
  findPair(config, name);
  const pair = parseOrThrow(syncPairSchema, { ...config.syncPairs[index], ...changes, name }, 'sync pair');
  validatePair(config, pair);
  config.syncPairs[index] = pair;
  return pair;
}

export function removePair(config: Config, name: string): void {
  findPair(config, name);
  config.syncPairs = config.syncPairs.filter((p) => p.name !== name);
}

/** A connection as `list`/`show` print it: never the password. */
export function publicConnection(c: ConnectionConfig): Record<string, unknown> {
  const { password, ...rest } = c;
  const shown = password === undefined ? (c.passwordEnv ? `from $${c.passwordEnv}` : 'none')
    : password === '' ? 'empty' : 'stored';
  return { ...rest, password: shown };
}
