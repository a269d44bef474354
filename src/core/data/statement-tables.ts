/**
 * Which tables of the synced database a statement event (DDL, TRUNCATE) touches. Pure; a
 * conservative parser: when it cannot tell, and the statement ran with our database as its
 * default, it answers 'all' so the schema engine re-checks everything (never misses a change).
 */
export type StatementTarget =
  | { kind: 'none' }
  | { kind: 'truncate'; table: string }
  | { kind: 'ddl'; tables: string[] | 'all' };

const NAME = '(?:`(?:[^`]|``)+`|[A-Za-z0-9_$\\u0080-\\uffff]+)';
const QUALIFIED = new RegExp(`(${NAME})(?:\\s*\\.\\s*(${NAME}))?`, 'y');

function unquote(s: string): string {
  return s.startsWith('`') ? s.slice(1, -1).replace(/``/g, '`') : s;
}

/** Qualified names in a comma/TO separated list starting at `from`. */
function namesAt(query: string, from: number): Array<{ db: string | null; name: string }> {
  const out: Array<{ db: string | null; name: string }> = [];
  let i = from;
  for (;;) {
    while (i < query.length && /\s/.test(query[i] as string)) i++;
    QUALIFIED.lastIndex = i;
    const m = QUALIFIED.exec(query);
    if (!m) break;
    out.push(m[2] ? { db: unquote(m[1] as string), name: unquote(m[2]) } : { db: null, name: unquote(m[1] as string) });
    i = QUALIFIED.lastIndex;
    const sep = /^\s*(,|\bTO\b)\s*/i.exec(query.slice(i, i + 10));
    if (!sep) break;
    i += sep[0].length;
  }
  return out;
}

const SKIP = /^\s*(?:\/\*.*?\*\/\s*)*/s;

export function statementTarget(query: string, defaultSchema: string, ourSchema: string): StatementTarget {
  const q = query.replace(SKIP, '');
  const isOurs = (db: string | null) => (db ?? defaultSchema) === ourSchema;
  const trunc = /^TRUNCATE\s+(?:TABLE\s+)?/i.exec(q);
  if (trunc) {
    const [n] = namesAt(q, trunc[0].length);
    return n && isOurs(n.db) ? { kind: 'truncate', table: n.name } : { kind: 'none' };
  }
  const head = /^(?:CREATE|ALTER|DROP|RENAME)\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?(?:ONLINE\s+)?(?:IGNORE\s+)?(TABLES?|VIEW)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?/i.exec(q);
  if (head) {
    const names = namesAt(q, head[0].length).filter((n) => isOurs(n.db)).map((n) => n.name);
    return names.length ? { kind: 'ddl', tables: [...new Set(names)] } : { kind: 'none' };
  }
  const onTable = /^(?:CREATE|DROP)\s+(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\s+\S+\s+ON\s+/i.exec(q);
  if (onTable) {
    const [n] = namesAt(q, onTable[0].length);
    return n && isOurs(n.db) ? { kind: 'ddl', tables: [n.name] } : { kind: 'none' };
  }
  if (/^(?:CREATE|ALTER|DROP)\b/i.test(q) && defaultSchema === ourSchema) return { kind: 'ddl', tables: 'all' };
  return { kind: 'none' };
}
