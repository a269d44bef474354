/**
 * The `db-sync` command as one file: dist/cli/main.js (tsc's output) with db-sync's modules and
 * most dependencies bundled in by esbuild, written over itself. Node 20's ES module loader
 * resolves and links every file on its own: ~450 files cost 0.45 s of start-up before any
 * command runs, against 0.3 s for one file (README, "Quick start"). Kept out of the bundle:
 * modules loaded lazily by one command only (pino-pretty, @inquirer/prompts, log-update).
 * pino is bundled: db-sync writes through pino.multistream and never starts a pino transport
 * (worker threads loaded from files beside pino's own), which a bundle could not serve.
 * iconv-lite stays outside too (a direct dependency, so it resolves from dist/): mysql2 and
 * the binlog decoder each carried a copy, 540 KB of mostly code-page tables apiece that node
 * had to read and compile at every start, where iconv-lite itself loads a table only when a
 * column uses that code page. Both now share the one in node_modules (the decoder's nested
 * 0.7.2 becomes 0.7.3: only UTF-32 fixes and two ISO-8859-8 aliases between them). With zod
 * imported as a namespace (src/core/config/schema.ts: its 60 locales are dropped) the bundle
 * went from 3.9 MB to 2.25 MB.
 * The other files under dist/ stay as tsc wrote them (types, tests' stack traces); nothing
 * imports them at run time.
 */
import { build } from 'esbuild';

const entry = 'dist/cli/main.js';
await build({
  entryPoints: [entry],
  outfile: entry,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  external: ['pino-pretty', '@inquirer/prompts', 'log-update', 'iconv-lite'],
  // CommonJS dependencies call require and read __filename/__dirname: give them the bundle's own
  banner: {
    js: [
      "import { createRequire as __dbSyncRequire } from 'node:module';",
      "import { fileURLToPath as __dbSyncPath } from 'node:url';",
      "import { dirname as __dbSyncDir } from 'node:path';",
      'const require = __dbSyncRequire(import.meta.url);',
      'const __filename = __dbSyncPath(import.meta.url);',
      'const __dirname = __dbSyncDir(__filename);',
    ].join('\n'),
  },
});
