import { describe, expect, it } from 'vitest';
import { assertPatchedZongji } from '../../src/core/data/binlog-reader.js';

describe('binlog decoder install', () => {
  it('runs the patched @vlasky/zongji (patches/@vlasky+zongji+0.9.0.patch applied)', () => {
    expect(() => assertPatchedZongji()).not.toThrow();
  });
});
