/**
 * The session context a statement ran in on the source, read from the status variables of
 * its binlog Query event (sql/log_event.h, Query_log_event): sql_mode, character sets,
 * time zone, FOREIGN_KEY_CHECKS, auto-increment settings, the exact time. A native replica
 * sets the same session variables before it executes the statement; db-sync does too, so a
 * replayed DDL statement means on the target what it meant on the source. Pure.
 *
 * Values stay numeric (collation ids, the sql_mode bit set): the server accepts them as
 * such in SET, and source and target of one flavour number them the same way.
 */
export interface StatementContext {
  flags2?: number;
  sqlMode?: bigint;
  autoIncrement?: { increment: number; offset: number };
  charset?: { client: number; connection: number; server: number };
  timeZone?: string;
  lcTimeNames?: number;
  collationDatabase?: number;
  /** Microseconds of the statement's start (MariaDB Q_HRNOW, MySQL Q_MICROSECONDS). */
  micros?: number;
  /** MySQL: explicit_defaults_for_timestamp of the session. */
  explicitDefaultsForTimestamp?: number;
  /** Codes this parser does not know; parsing stops at the first (the layout is unknown). */
  unknownCode?: number;
}

/** Bits of Q_FLAGS2 (sql/sql_priv.h OPTION_*). */
export const FLAGS2 = {
  AUTO_IS_NULL: 0x4000, NOT_AUTOCOMMIT: 0x80000, NO_FOREIGN_KEY_CHECKS: 0x4000000, RELAXED_UNIQUE_CHECKS: 0x8000000,
};
/** Bits of the sql_mode set that change how a statement is tokenized. */
export const SQL_MODE = { ANSI_QUOTES: 0x4n, NO_BACKSLASH_ESCAPES: 0x100000n };

/** Fixed-size codes: code -> byte length of the value. */
const FIXED: Record<number, number> = {
  0: 4, 1: 8, 3: 4, 4: 6, 7: 2, 8: 2, 9: 8, 10: 4, 13: 3, 14: 8, 16: 1, 17: 8, 18: 2, 19: 1, 20: 1,
  128: 3, 129: 8, 130: 1,
};

export function parseStatusVars(buf: Buffer): StatementContext {
  const out: StatementContext = {};
  let i = 0;
  const need = (n: number) => { if (i + n > buf.length) throw new Error(`status variables truncated at byte ${i}`); };
  while (i < buf.length) {
    const code = buf[i++] as number;
    const fixed = FIXED[code];
    if (fixed !== undefined) {
      need(fixed);
      readFixed(code, buf, i, out);
      i += fixed;
      continue;
    }
    switch (code) {
      case 2: { need(1); const n = buf[i] as number; i += 1 + n + 1; break; } // Q_CATALOG_CODE: len, name, NUL
      case 5: { // Q_TIME_ZONE_CODE: len, name
        need(1);
        const n = buf[i] as number;
        need(1 + n);
        out.timeZone = buf.subarray(i + 1, i + 1 + n).toString('latin1');
        i += 1 + n;
        break;
      }
      case 6: { need(1); i += 1 + (buf[i] as number); break; } // Q_CATALOG_NZ_CODE
      case 11: { // Q_INVOKER: user, host (each len, bytes)
        need(1);
        i += 1 + (buf[i] as number);
        need(1);
        i += 1 + (buf[i] as number);
        break;
      }
      case 12: { // Q_UPDATED_DB_NAMES: count, NUL-terminated names
        need(1);
        const count = buf[i++] as number;
        for (let k = 0; k < count && count < 254; k++) {
          const end = buf.indexOf(0, i);
          i = end < 0 ? buf.length : end + 1;
        }
        break;
      }
      default:
        out.unknownCode = code;
        return out;
    }
  }
  return out;
}

function readFixed(code: number, buf: Buffer, i: number, out: StatementContext): void {
  switch (code) {
    case 0: out.flags2 = buf.readUInt32LE(i); break;
    case 1: out.sqlMode = buf.readBigUInt64LE(i); break;
    case 3: out.autoIncrement = { increment: buf.readUInt16LE(i), offset: buf.readUInt16LE(i + 2) }; break;
    case 4:
      out.charset = {
        client: buf.readUInt16LE(i), connection: buf.readUInt16LE(i + 2), server: buf.readUInt16LE(i + 4),
      };
      break;
    case 7: out.lcTimeNames = buf.readUInt16LE(i); break;
    case 8: out.collationDatabase = buf.readUInt16LE(i); break;
    case 13: case 128: out.micros = buf.readUIntLE(i, 3); break;
    case 16: out.explicitDefaultsForTimestamp = buf[i] as number; break;
    default: break; // table map for update, master data written, xid, gtid flags, ...: not session settings
  }
}

/**
 * The SET statement that gives a target session the statement's context (null values keep
 * the session's own). `timestampSec` is the event header's time.
 */
export function sessionAssignments(ctx: StatementContext, timestampSec: number): string[] {
  const out: string[] = [];
  if (ctx.sqlMode !== undefined) out.push(`sql_mode = ${ctx.sqlMode.toString()}`);
  if (ctx.charset) {
    // character_set_client first: collation_connection also sets character_set_connection
    out.push(`character_set_client = ${ctx.charset.client}`, `collation_connection = ${ctx.charset.connection}`,
      `collation_server = ${ctx.charset.server}`);
  }
  if (ctx.collationDatabase !== undefined) out.push(`collation_database = ${ctx.collationDatabase}`);
  if (ctx.timeZone !== undefined) out.push(`time_zone = '${ctx.timeZone.replace(/[\\']/g, '\\$&')}'`);
  if (ctx.lcTimeNames !== undefined) out.push(`lc_time_names = ${ctx.lcTimeNames}`);
  if (ctx.autoIncrement) {
    out.push(`auto_increment_increment = ${ctx.autoIncrement.increment}`,
      `auto_increment_offset = ${ctx.autoIncrement.offset}`);
  }
  if (ctx.flags2 !== undefined) {
    out.push(`foreign_key_checks = ${ctx.flags2 & FLAGS2.NO_FOREIGN_KEY_CHECKS ? 0 : 1}`,
      `unique_checks = ${ctx.flags2 & FLAGS2.RELAXED_UNIQUE_CHECKS ? 0 : 1}`,
      `sql_auto_is_null = ${ctx.flags2 & FLAGS2.AUTO_IS_NULL ? 1 : 0}`);
  }
  if (ctx.explicitDefaultsForTimestamp !== undefined) {
    out.push(`explicit_defaults_for_timestamp = ${ctx.explicitDefaultsForTimestamp}`);
  }
  out.push(`timestamp = ${timestampSec}${ctx.micros ? `.${String(ctx.micros).padStart(6, '0')}` : ''}`);
  return out;
}

/** Lexer flags from the statement's sql_mode. */
export function lexModes(ctx: StatementContext): { ansiQuotes: boolean; noBackslashEscapes: boolean } {
  const m = ctx.sqlMode ?? 0n;
  return {
    ansiQuotes: (m & SQL_MODE.ANSI_QUOTES) !== 0n,
    noBackslashEscapes: (m & SQL_MODE.NO_BACKSLASH_ESCAPES) !== 0n,
  };
}
