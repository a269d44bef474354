/**
 * Identifier quoting: the one helper every SQL builder uses. Backticks inside a name are
 * doubled, which is the only escape MySQL/MariaDB need inside a quoted identifier; spaces,
 * reserved words and any unicode are then safe.
 */
export function quoteId(name: string): string {
  if (name.includes('\u0000')) throw new Error(`identifier contains a NUL byte: ${JSON.stringify(name)}`);
  return '`' + name.replace(/`/g, '``') + '`';
}

/** `db`.`table` (either part may be omitted by passing undefined). */
export function quoteQualified(...parts: Array<string | undefined>): string {
  return parts.filter((p): p is string => p !== undefined).map(quoteId).join('.');
}

/** A string literal for places that cannot take a parameter (DDL such as COMMENT '...'). */
export function quoteString(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\u0000/g, '\\0') + "'";
}
