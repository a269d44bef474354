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

const IMPORT_RE = new RegExp([
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/.source, // import x from 'y', export ... from 'y'
  /import\(\s*['"]([^'"]+)['"]\s*\)/.source, // import('y')
  /(?:^|\n)\s*import\s+['"]([^'"]+)['"]/.source, // import 'y' (side effects only)
].join('|'), 'g');
const imports = files(SRC).map((file) => {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(IMPORT_RE)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  return { file: path.relative(SRC, file), specs };
});

function resolvedArea(from: string, spec: string): string {
  return path.relative(SRC, path.resolve(SRC, path.dirname(from), spec));
}

describe('dependency rules', () => {
  it.each([
    ['mysql2', ['core/db/connection.ts']],
    ['@vlasky/zongji', ['core/data/binlog-reader.ts']],
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

  // Every folder under src/core has a layer. Shared parts are used by pipelines and never use them;
  // pipelines are composed by pair/ (and the cut-over workflow), which nothing below imports.
  const SHARED = ['config', 'db', 'checksum', 'guard'];
  const PIPELINES = ['schema', 'routines', 'data', 'verify', 'poll'];
  const COMPOSERS = ['pair', 'cutover'];
  const areaOf = (file: string): string => {
    const m = /^core\/([^/]+)\//.exec(file);
    return m ? m[1] as string : file.startsWith('core/') ? 'core-root' : (file.split('/')[0] as string);
  };
  const relative = (f: { file: string; specs: string[] }) =>
    f.specs.filter((x) => x.startsWith('.')).map((s) => ({ s, target: resolvedArea(f.file, s).replace(/\.js$/, '.ts') }));

  it('gives every folder under src/core a layer', () => {
    const folders = new Set(imports.filter((f) => f.file.startsWith('core/')).map((f) => areaOf(f.file)));
    for (const a of folders) expect([...SHARED, ...PIPELINES, ...COMPOSERS, 'core-root'], `core/${a}`).toContain(a);
  });

  it('keeps the pipelines and shared parts from importing the pair, the cut-over, the daemon or the cli', () => {
    for (const f of imports.filter((x) => [...SHARED, ...PIPELINES, 'core-root'].includes(areaOf(x.file)))) {
      for (const { s, target } of relative(f)) {
        const bad = COMPOSERS.some((c) => target.startsWith(`core/${c}/`)) || /^(cli|daemon|demo)\//.test(target);
        expect(bad, `${f.file} imports ${s}`).toBe(false);
      }
    }
  });

  it('keeps the shared parts (and core/*.ts) from importing any pipeline', () => {
    for (const f of imports.filter((x) => [...SHARED, 'core-root'].includes(areaOf(x.file)))) {
      for (const { s, target } of relative(f)) {
        if (target === 'core/data/checkpoint.ts') continue; // the checkpoint-table API, as above
        expect(PIPELINES.some((p) => target.startsWith(`core/${p}/`)), `${f.file} imports ${s}`).toBe(false);
      }
    }
  });

  it('lets the cli and the daemon reach the database only through core (never core/db directly)', () => {
    for (const f of imports.filter((x) => /^(cli|daemon)\//.test(x.file))) {
      for (const { s, target } of relative(f)) expect(target.startsWith('core/db/'), `${f.file} imports ${s}`).toBe(false);
    }
  });

  it('has no import cycles (type-only imports included)', () => {
    const graph = new Map(imports.map((f) => [f.file, relative(f).map((r) => r.target)]));
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const visit = (n: string): void => {
      state.set(n, 1);
      stack.push(n);
      for (const d of graph.get(n) ?? []) {
        if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].join(' -> '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(n, 2);
    };
    for (const n of graph.keys()) if (!state.has(n)) visit(n);
    expect(cycles).toEqual([]);
  });
});

