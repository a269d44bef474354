/**
 * The column type families (information_schema DATA_TYPE, lower case), defined once for every
 * part that renders, compares or writes values. BIT is in none of the byte families: it is a
 * number (b'101' = 5), and each use says how it treats it.
 */
const list = (...types: string[]): ReadonlySet<string> => new Set(types);

/** Character strings (a charset and collation apply). */
export const TEXT_TYPES = list('char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext');
/** Every type that carries text: TEXT_TYPES plus JSON, ENUM and SET. */
export const STRING_TYPES = list(...TEXT_TYPES, 'json', 'enum', 'set');
/** Byte strings. */
export const BLOB_TYPES = list('binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob');
export const GEOMETRY_TYPES = list('geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring',
  'multipolygon', 'geometrycollection');
/** Values that are bytes on the wire (blobs, and geometry as SRID + WKB). */
export const BYTE_TYPES = list(...BLOB_TYPES, ...GEOMETRY_TYPES);
export const INTEGER_TYPES = list('tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint');
/** Dates and times: their text never holds a tab, newline, backslash or NUL. */
export const TEMPORAL_TYPES = list('date', 'datetime', 'timestamp', 'time', 'year');
/** Exact numbers: their decimal text is the value. */
export const EXACT_NUMERIC_TYPES = list(...INTEGER_TYPES, 'decimal', 'numeric');
