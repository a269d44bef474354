#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * The `db-sync` command as built (dist/cli/main.js; scripts/bundle.mjs puts this file there):
 * runs the bundled program, dist/cli/db-sync.cjs, with a V8 code cache kept beside it.
 *
 * Why: node must parse the 2.7 MB bundle and compile the functions a command runs before
 * that command sends its first query, on every start; a copy pays it before it reads a row.
 * Node 22 caches that work (module.enableCompileCache); node 20 has no such cache for its
 * module loaders, but vm.Script takes and produces V8's code cache. The first run of a
 * build writes the cache at its exit (with the functions that run compiled); every later
 * start reads it (README, "How it works": about 100 ms less per command).
 *
 * Safety: V8 rejects a cache made by another V8 version, with other flags or for a source of
 * another length. The file's name carries the bundle's size and modification time, so a
 * rebuilt bundle never meets an old cache (the build deletes old ones too), and a hash of
 * node's version and options, so that a start by another node or with other flags (say
 * `node dist/cli/main.js` without the shebang's) neither rejects nor replaces the usual
 * cache, and of the command's first word, so that the first command of a build does not
 * decide for all the others which functions come compiled (about 15 ms on a `sync run`).
 * A rejected or missing cache only means the code is compiled as without one, and a new
 * cache is written; one that cannot be written (a read-only install) costs the next start
 * the same.
 * DB_SYNC_CODE_CACHE=off reads and writes none; =report also says on stderr what became of it.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const BUNDLE = fileURLToPath(new URL('./db-sync.cjs', import.meta.url));
const stat = statSync(BUNDLE);
// V8 takes a cache only from the same node with the same flags: one file for each
// and one for each command (its first word): a cache holds the functions its first run
// compiled, and `--version` compiles few of those that `sync run` needs
const COMMAND = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? '';
const CACHE = `${BUNDLE}.${stat.size}-${Math.trunc(stat.mtimeMs)}-${fnv1a(`${process.version}\0${
  process.execArgv.join(' ')}\0${process.env.NODE_OPTIONS ?? ''}\0${COMMAND}`)}.v8cache`;

const MODE = process.env.DB_SYNC_CODE_CACHE;
let cachedData: Buffer | undefined;
try {
  if (MODE !== 'off') cachedData = readFileSync(CACHE);
} catch {
  // first start of this build
}
// CommonJS's wrapper, on the bundle's first line so that stack traces keep its line numbers;
// its shebang (kept from src/cli/main.ts) becomes a comment.
const source = readFileSync(BUNDLE, 'utf8').replace(/^#!/, '//');
// No import() in it (the build checks): node 20 cannot serve one from a script read from a cache.
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`,
  { filename: BUNDLE, cachedData });
const use = !cachedData ? 'absent' : script.cachedDataRejected ? 'rejected' : 'used';
if (MODE === 'report') process.stderr.write(`db-sync: code cache ${use}: ${CACHE}\n`);
if (use !== 'used' && MODE !== 'off') process.once('exit', writeCache);
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(
  module.exports, createRequire(BUNDLE), module, BUNDLE, path.dirname(BUNDLE));

/** At exit: the cache, with every function this run compiled; written whole or not at all. */
function writeCache(): void {
  const tmp = `${CACHE}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, CACHE);
  } catch {
    // not writable here: every start compiles, as without a cache
  }
}

/** 32-bit FNV-1a of a string's UTF-16 code units, in hex. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}
