#!/usr/bin/env node
/**
 * postinstall: make @vlasky/zongji keep GEOMETRY values as the raw SRID+WKB Buffer the
 * server stores (upstream decodes them to {x,y}, losing the SRID and every non-point
 * geometry). Idempotent; fails loudly when the expected line is not there (a new zongji
 * version must be re-checked, never silently run unpatched).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const ORIGINAL = 'result = parseGeometryValue(buffer);';
const PATCHED = 'result = buffer; // db-sync: raw SRID+WKB (scripts/patch-zongji.mjs)';

function locate() {
  const require = createRequire(import.meta.url);
  try {
    return path.join(path.dirname(require.resolve('@vlasky/zongji/package.json')), 'lib', 'common.js');
  } catch {
    return path.join(process.cwd(), 'node_modules', '@vlasky', 'zongji', 'lib', 'common.js');
  }
}

const file = locate();
if (!existsSync(file)) {
  console.error(`patch-zongji: ${file} not found; is @vlasky/zongji installed?`);
  process.exit(1);
}
const text = readFileSync(file, 'utf8');
if (text.includes(PATCHED)) {
  process.exit(0);
}
const count = text.split(ORIGINAL).length - 1;
if (count !== 1) {
  console.error(`patch-zongji: expected exactly one "${ORIGINAL}" in ${file}, found ${count}. ` +
    'The zongji version changed: re-check GEOMETRY decoding and update scripts/patch-zongji.mjs.');
  process.exit(1);
}
writeFileSync(file, text.replace(ORIGINAL, PATCHED));
console.log(`patch-zongji: GEOMETRY kept as raw bytes in ${path.relative(process.cwd(), file)}`);
