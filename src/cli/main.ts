#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * db-sync CLI entry point. Under `npm run cli <command> --flag` npm keeps the flags for itself;
 * they are recovered first (see npm-flags.ts), then commander parses.
 */
import { buildProgram } from './program.js';
import { recoverNpmFlags, underNpmScript } from './npm-flags.js';
import { npmOrigin } from './npm-origin.js';
import { printError } from './run.js';

const program = buildProgram();
let argv = process.argv;
if (underNpmScript(process.env)) {
  try {
    const result = recoverNpmFlags(program, argv, process.env, npmOrigin(process.env, process.ppid));
    for (const note of result.notes) {
      process.stderr.write(`note: ${note}; db-sync flags typed after \`--\` always reach it\n`);
    }
    argv = result.argv;
  } catch (err) {
    process.exit(printError(err));
  }
  // Processes db-sync starts (the daemon) are not npm scripts: they must not recover the flags again.
  delete process.env.npm_lifecycle_event;
}
// not a top-level await: the built command is a CommonJS bundle (scripts/bundle.mjs)
program.parseAsync(argv).catch((err: unknown) => process.exit(printError(err)));
