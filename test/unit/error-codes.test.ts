import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES } from '../../src/core/errors.js';

/** Codes in the first column of docs/errors.md's tables (`A / B` rows name two codes). */
function documentedCodes(): string[] {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
  return doc.split('\n').flatMap((line) => {
    const m = /^\| ([A-Z][A-Z0-9_ /]*) \|/.exec(line);
    return m ? (m[1] as string).split('/').map((c) => c.trim()).filter(Boolean) : [];
  });
}

describe('error codes', () => {
  it('documents every code SyncError can carry, and documents no other', () => {
    const documented = documentedCodes();
    expect([...new Set(documented)].sort()).toEqual([...new Set(ERROR_CODES)].sort());
  });

  it('documents each code once', () => {
    const documented = documentedCodes();
    expect(documented.filter((c, i) => documented.indexOf(c) !== i)).toEqual([]);
  });
});
