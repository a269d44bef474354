/**
 * Every place node starts db-sync carries the same node flags (src/core/node-flags.ts): V8
 * reads them once, at start, so a start path without them runs with node's defaults (peak
 * RSS of the 1M-row copy over 150 MB).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../../src/core/node-flags.js';
import { CLI_COMMAND } from '../../src/daemon/control.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

describe('node flags', () => {
  it('are in the shebang of the CLI (the db-sync command, ./dist/cli/main.js, is the launcher) and its source', () => {
    for (const f of ['src/cli/launch.ts', 'src/cli/main.ts']) {
      expect(read(f).split('\n')[0], f).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
    }
  });

  it('are in the npm scripts that start the CLI', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const starts = Object.entries(scripts).filter(([, cmd]) => /\bnode\b[^&]*dist\/cli\/main\.js/.test(cmd));
    expect(starts.map(([name]) => name).sort()).toEqual(['cli', 'demo', 'start']);
    for (const [name, cmd] of starts) {
      expect(cmd, `npm script ${name}`).toContain(`node ${NODE_FLAGS.join(' ')} dist/cli/main.js`);
    }
  });

  it('are given to the daemon the service starts', () => {
    for (const flag of NODE_FLAGS) expect(CLI_COMMAND).toContain(flag);
    expect(CLI_COMMAND.indexOf(NODE_FLAGS[0] as string)).toBeLessThan(CLI_COMMAND.length - 1);
  });
});
