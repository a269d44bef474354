import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const imports = files(SRC).map((file) => {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(IMPORT_RE)].map((m) => m[1] ?? m[2] ?? '');
  return { file: path.relative(SRC, file), specs };
});

function resolvedArea(from: string, spec: string): string {
  return path.relative(SRC, path.resolve(SRC, path.dirname(from), spec));
}

describe('dependency rules', () => {
  it.each([
    ['mysql2', ['core/db/connection.ts']],
    ['@vlasky/zongji', ['core/data/binlog-client.ts']],
    ['pino', ['core/log.ts']],
    ['pino-pretty', ['cli/views/log-view.ts']],
    ['@inquirer/prompts', ['cli/prompt.ts']],
  ])('imports %s in one place only', (pkg, allowed) => {
    const users = imports.filter((f) => f.specs.some((s) => s === pkg || s.startsWith(`${pkg}/`))).map((f) => f.file);
    // equal, not contained: the allowed file must be found importing it, or the scan saw nothing
    expect(users).toEqual(allowed);
  });

  it('finds the imports it checks (a scan that matched nothing would pass every rule)', () => {
    const relative = imports.flatMap((f) => f.specs.filter((s) => s.startsWith('.')).map((s) => `${f.file} ${s}`));
    expect(relative.length).toBeGreaterThan(200);
    expect(relative).toContain('core/data/applier.ts ./checkpoint.js');
    expect(relative).toContain('core/pair/sync-pair.ts ../errors.js');
    expect(imports.some((f) => f.specs.includes('commander'))).toBe(true);
  });

  it('keeps core free of cli and daemon imports', () => {
    for (const f of imports.filter((x) => x.file.startsWith('core/'))) {
      for (const s of f.specs.filter((x) => x.startsWith('.'))) {
        const target = resolvedArea(f.file, s);
        expect(target.startsWith('cli/') || target.startsWith('daemon/'), `${f.file} imports ${s}`).toBe(false);
      }
    }
  });

  it('lets cutover read the data engine only through the checkpoint table API', () => {
    for (const f of imports.filter((x) => x.file.startsWith('core/cutover/'))) {
      for (const s of f.specs.filter((x) => x.startsWith('.'))) {
        const target = resolvedArea(f.file, s).replace(/\.js$/, '.ts');
        if (target.startsWith('core/data/')) expect(target, `${f.file} imports ${s}`).toBe('core/data/checkpoint.ts');
      }
    }
  });

  it('keeps the pipelines (schema, routines, data, verify, poll) from importing each other', () => {
    const areas = ['schema', 'routines', 'data', 'verify', 'poll'];
    for (const f of imports) {
      const own = areas.find((a) => f.file.startsWith(`core/${a}/`));
      if (!own) continue;
      for (const s of f.specs.filter((x) => x.startsWith('.'))) {
        const target = resolvedArea(f.file, s);
        const other: string | undefined = areas.find((a) => a !== own && target.startsWith(`core/${a}/`));
        // checkpoint.ts is the shared checkpoint-table API every writer uses.
        if (other && target.replace(/\.js$/, '.ts') !== 'core/data/checkpoint.ts') expect.fail(`${f.file} imports ${s} (core/${other})`);
      }
    }
  });
});
