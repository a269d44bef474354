/**
 * The `db-sync` command as one file: dist/cli/main.js (tsc's output) with db-sync's modules and
 * most dependencies bundled in by esbuild, written over itself. Node 20's ES module loader
 * resolves and links every file on its own: ~450 files cost 0.45 s of start-up before any
 * command runs, against 0.3 s for one file (README, "Quick start"). Kept out of the bundle:
 * modules loaded lazily by one command only (pino-pretty, @inquirer/prompts, log-update).
 * pino is bundled: db-sync writes through pino.multistream and never starts a pino transport
 * (worker threads loaded from files beside pino's own), which a bundle could not serve.
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
  external: ['pino-pretty', '@inquirer/prompts', 'log-update'],
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
