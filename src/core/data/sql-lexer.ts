/**
 * A MySQL/MariaDB SQL tokenizer, just enough to classify and rewrite statements that arrive
 * in the binlog (DDL, transaction control, statement-based DML). Pure.
 *
 * It works on a "byte string": one JS char per byte of the statement as the server logged it
 * (Buffer#toString('latin1')), so positions map 1:1 to bytes and a rewrite splices bytes
 * without decoding them. That is exact for every ASCII-compatible client character set
 * whose multi-byte sequences never contain an ASCII byte (utf8, latin1, ...); the callers
 * decode the others first (see statement-text.ts).
 *
 * What it knows (sql/sql_lex.cc): '...' and "..." strings (backslash escapes unless
 * NO_BACKSLASH_ESCAPES, doubled quotes; "..." is an identifier under ANSI_QUOTES),
 * `quoted` identifiers, -- / # / C comments, executable comments (/*! ..., /*!50100 ...,
 * /*M! ..., /*M!100100 ...) whose content is code, numbers, @variables, operators.
 */
export type TokenType = 'word' | 'qident' | 'string' | 'number' | 'var' | 'op' | 'comment';

export interface Token {
  type: TokenType;
  /** Byte offsets [start, end) in the statement. */
  start: number;
  end: number;
  /** Text of the token; for 'qident' the unquoted name, for 'string' the raw text. */
  value: string;
}

export interface LexOptions {
  ansiQuotes?: boolean;
  noBackslashEscapes?: boolean;
}

const WORD = /[A-Za-z0-9_$\x80-\xff]/;
/** A whole number token: decimal (1, .5, 1.5e-3, 1.), hex (0x1f) or binary (0b101). */
const NUMBER = /^(?:[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?|0x[0-9a-fA-F]+|0b[01]+|[0-9]+\.)$/;

export function tokenize(sql: string, o: LexOptions = {}): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  const push = (type: TokenType, start: number, end: number, value = sql.slice(start, end)) => {
    out.push({ type, start, end, value });
  };
  while (i < n) {
    const c = sql[i] as string;
    const next = sql[i + 1] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') { i++; continue; }
    if (c === '#' || (c === '-' && next === '-' && /[\s]/.test(sql[i + 2] ?? ' '))) {
      const end = lineEnd(sql, i);
      push('comment', i, end);
      i = end;
      continue;
    }
    if (c === '/' && next === '*') {
      const exec = /^\/\*(M?!)(\d{5,6})?/.exec(sql.slice(i, i + 10));
      if (exec) { i += exec[0].length; continue; } // executable comment: its content is code
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      push('comment', i, stop);
      i = stop;
      continue;
    }
    if (c === '*' && next === '/') { i += 2; continue; } // end of an executable comment
    if (c === '`') { i = quoted(sql, i, '`', false, 'qident', push); continue; }
    if (c === '"' && o.ansiQuotes) { i = quoted(sql, i, '"', false, 'qident', push); continue; }
    if (c === "'" || c === '"') { i = quoted(sql, i, c, !o.noBackslashEscapes, 'string', push); continue; }
    if (c === '@') {
      let j = i + 1;
      if (sql[j] === '@') j++;
      if (sql[j] === '`' || sql[j] === "'" || sql[j] === '"') {
        const q = sql[j] as string;
        const end = quoted(sql, j, q, q !== '`' && !o.noBackslashEscapes, 'var', () => undefined);
        push('var', i, end);
        i = end;
        continue;
      }
      while (j < n && /[A-Za-z0-9_$.\x80-\xff]/.test(sql[j] as string)) j++;
      push('var', i, j);
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next))) {
      let j = i;
      while (j < n && WORD.test(sql[j] as string)) j++;
      // 1.5, 1e10, 0x1f: a word starting with a digit that is all digits is a number; 1abc is a name
      if (sql[j] === '.' && /^[0-9]+$/.test(sql.slice(i, j))) {
        j++;
        while (j < n && /[0-9eE]/.test(sql[j] as string)) j++;
        if (/[+-]/.test(sql[j] ?? '') && /[eE]/.test(sql[j - 1] ?? '')) {
          j++;
          while (j < n && /[0-9]/.test(sql[j] as string)) j++;
        }
      }
      const text = sql.slice(i, j);
      push(NUMBER.test(text) ? 'number' : 'word', i, j);
      i = j;
      continue;
    }
    if (WORD.test(c)) {
      let j = i;
      while (j < n && WORD.test(sql[j] as string)) j++;
      push('word', i, j);
      i = j;
      continue;
    }
    push('op', i, i + 1);
    i++;
  }
  return out;
}

function lineEnd(sql: string, from: number): number {
  const nl = sql.indexOf('\n', from);
  return nl < 0 ? sql.length : nl;
}

function quoted(sql: string, start: number, q: string, backslash: boolean, type: TokenType,
  push: (type: TokenType, start: number, end: number, value?: string) => void): number {
  let j = start + 1;
  let value = '';
  while (j < sql.length) {
    const ch = sql[j] as string;
    if (backslash && ch === '\\' && j + 1 < sql.length) { value += sql.slice(j, j + 2); j += 2; continue; }
    if (ch === q) {
      if (sql[j + 1] === q) { value += q; j += 2; continue; }
      j++;
      push(type, start, j, type === 'qident' ? value : sql.slice(start, j));
      return j;
    }
    value += ch;
    j++;
  }
  push(type, start, j, type === 'qident' ? value : sql.slice(start, j));
  return j;
}

/** Tokens that carry meaning (no comments). */
export function codeTokens(tokens: Token[]): Token[] {
  return tokens.filter((t) => t.type !== 'comment');
}

/** Upper-case keyword text of a bare word, '' for anything else. */
export function kw(t: Token | undefined): string {
  return t && t.type === 'word' ? t.value.toUpperCase() : '';
}

/** Name value of a word or quoted identifier, null for anything else. */
export function nameOf(t: Token | undefined): string | null {
  if (!t) return null;
  if (t.type === 'qident') return t.value;
  if (t.type === 'word') return t.value;
  return null;
}
