/**
 * The `db-sync` command as one file: dist/cli/main.js (tsc's output) with db-sync's modules and
 * most dependencies bundled in by esbuild, as CommonJS, into dist/cli/db-sync.cjs; then
 * dist/cli/main.js becomes the launcher (src/cli/launch.ts), which runs the bundle with a V8
 * code cache. CommonJS because node 20 takes a code cache only for a script (vm.Script),
 * not for an ES module; the bundle's import.meta.url is the bundle file's URL.
 * One file because node 20's ES module loader resolves and links every file on its own:
 * ~450 files cost 0.45 s of start-up before any command runs, against 0.3 s for one file.
 * Every module is in it, also those one command loads lazily (pino-pretty for `logs`,
 * @inquirer/prompts on a terminal, log-update for `status --watch`): their code is only
 * evaluated when that command imports it, and the code cache makes the rest of their cost at
 * start (parsing) almost nil. pino is bundled: db-sync writes through pino.multistream and
 * never starts a pino transport (worker threads loaded from files beside pino's own), which a
 * bundle could not serve.
 * iconv-lite stays outside (a direct dependency, so it resolves from dist/): mysql2 and
 * the binlog decoder each carried a copy, 540 KB of mostly code-page tables apiece that node
 * had to read and compile at every start, where iconv-lite itself loads a table only when a
 * column uses that code page. Both now share the one in node_modules (the decoder's nested
 * 0.7.2 becomes 0.7.3: only UTF-32 fixes and two ISO-8859-8 aliases between them). With zod
 * imported as a namespace (src/core/config/schema.ts: its 60 locales are dropped) the bundle
 * went from 3.9 MB to 2.25 MB; with the three lazily loaded modules it is 2.7 MB, 2.0 MB without
 * comments and indentation.
 * The other files under dist/ stay as tsc wrote them (types, tests' stack traces); nothing
 * imports them at run time.
 */
import { build } from 'esbuild';
import { copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';

const dir = 'dist/cli';
const bundle = `${dir}/db-sync.cjs`;
// a cache belongs to one build of the bundle (src/cli/launch.ts names it by size and time)
for (const f of readdirSync(dir)) if (f.includes('.v8cache')) rmSync(`${dir}/${f}`);
const result = await build({
  entryPoints: [`${dir}/main.js`],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  external: ['iconv-lite'],
  define: { 'import.meta.url': '__dbSyncUrl' },
  banner: { js: "const __dbSyncUrl = require('node:url').pathToFileURL(__filename).href;" },
  metafile: true,
  // No comments and no indentation: the bundle is 2.0 MB instead of 2.7 (node reads it and V8
  // hashes it at every start), and its text stays ASCII (below). Names are kept, so a stack
  // trace still names its functions. Licence comments go to db-sync.cjs.LEGAL.txt.
  minifyWhitespace: true,
  legalComments: 'external',
});
// V8 keeps a source with one character beyond ASCII as two bytes per character: twice the
// memory, and a slower read and compile at every start. esbuild escapes such characters in
// code; a dependency's comment kept in the output would bring them back.
const text = readFileSync(bundle, 'latin1');
const wide = text.search(/[^\x00-\x7f]/);
if (wide >= 0) {
  throw new Error(`the bundle is not ASCII at line ${text.slice(0, wide).split('\n').length}: `
    + `${JSON.stringify(text.slice(Math.max(0, wide - 60), wide + 20))}; keep it out of the output`);
}
// The launcher runs the bundle as a script from V8's code cache, where node 20 has no loader
// for import(): every module, also one loaded lazily by one command, must be in the bundle.
const dynamic = result.metafile.outputs[bundle].imports.filter((i) => i.kind === 'dynamic-import');
if (dynamic.length) {
  throw new Error(`the bundle imports ${dynamic.map((i) => i.path).join(', ')} with import(): `
    + 'src/cli/launch.ts cannot serve it; import it statically or leave it in the bundle');
}
copyFileSync(`${dir}/launch.js`, `${dir}/main.js`);
