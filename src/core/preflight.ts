/**
 * What a connection can do, checked all at once: each problem is phrased as its fix.
 * Used by `connection test` and by the data pipeline to choose binlog vs polling.
 */
import type { ConnectionConfig } from './config/schema.js';
import { openConnection, type Db } from './db/connection.js';
import { parseFlavor, type Flavor } from './db/flavor.js';
import { quoteId } from './db/quote.js';
import { isTransactional } from './db/table-info.js';

export interface Capabilities {
  flavor: Flavor;
  serverId: number;
  serverUuid: string | null;
  canRead: boolean;
  tableCount: number;
  /** Tables whose engine has no transactions (MyISAM, Aria ...), with their engine. */
  nonTransactional: Array<{ table: string; engine: string; keyless: boolean }>;
  logBin: boolean;
  binlogFormat: string | null;
  binlogRowImage: string | null;
  binlogRowMetadata: string | null;
  replicationSlave: boolean;
  binlogMonitor: boolean;
  /** Binlog change capture can run (all hard requirements met). */
  binlogUsable: boolean;
  /** Hard problems for binlog capture, each phrased as the fix. */
  binlogProblems: string[];
  /** Soft problems (capture works, with a caveat). */
  warnings: string[];
  /** The source has GTIDs (MariaDB with log_bin: always; MySQL: gtid_mode=ON): pairs resume by them. */
  gtidMode: boolean;
  gtid: GtidInfo;
}

/** What a failover to a replica needs, read from this server (null: not readable / not this flavor). */
export interface GtidInfo {
  /** MariaDB gtid_binlog_pos / MySQL gtid_executed. */
  position: string | null;
  /** MariaDB gtid_domain_id. */
  domainId: number | null;
  /** MariaDB gtid_strict_mode / MySQL enforce_gtid_consistency. */
  strict: boolean | null;
  logReplicaUpdates: boolean | null;
  /** What the replicas that may be promoted need, each phrased as the setting. */
  failoverNeeds: string[];
}

interface Vars {
  version: string;
  server_id: string;
  log_bin: string | number | null;
  binlog_format: string | null;
  binlog_row_image: string | null;
  binlog_row_metadata: string | null;
}

async function readVars(db: Db): Promise<Vars> {
  const [row] = await db.rows<Vars>('SELECT VERSION() AS version, @@server_id AS server_id, @@log_bin AS log_bin, '
    + '@@binlog_format AS binlog_format, @@binlog_row_image AS binlog_row_image');
  let meta: string | null = null;
  try {
    const [m] = await db.rows<{ v: string }>('SELECT @@binlog_row_metadata AS v');
    meta = m?.v ?? null;
  } catch {
    meta = null; // server older than MariaDB 10.5 / MySQL 8.0
  }
  return { ...(row as Vars), binlog_row_metadata: meta };
}

async function readUuid(db: Db, flavor: Flavor): Promise<string | null> {
  if (flavor.name !== 'mysql') return null;
  const [r] = await db.rows<{ u: string }>('SELECT @@server_uuid AS u');
  return r?.u ?? null;
}

/** Parse SHOW GRANTS output for the privileges binlog capture needs. */
export function grantFlags(grants: string[]): { replicationSlave: boolean; binlogMonitor: boolean } {
  const text = grants.join('\n').toUpperCase();
  const all = /GRANT ALL PRIVILEGES ON \*\.\* /.test(text);
  const global = grants.filter((g) => / ON \*\.\* /i.test(g)).join('\n').toUpperCase();
  return {
    replicationSlave: all || /REPLICATION SLAVE|REPLICATION REPLICA/.test(global),
    binlogMonitor: all || /BINLOG MONITOR|REPLICATION CLIENT|SUPER/.test(global),
  };
}

export async function checkCapabilities(conn: ConnectionConfig): Promise<Capabilities> {
  const db = await openConnection(conn, { connectTimeoutMs: 5000 });
  try {
    const vars = await readVars(db);
    const flavor = parseFlavor(vars.version);
    const grants = (await db.rows<Record<string, string>>('SHOW GRANTS')).map((r) => String(Object.values(r)[0]));
    const flags = grantFlags(grants);
    let canRead = true;
    let tableCount = 0;
    let nonTransactional: Capabilities['nonTransactional'] = [];
    try {
      const [r] = await db.rows<{ n: number }>(
        'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [conn.database]);
      tableCount = Number(r?.n ?? 0);
      await db.rows(`SHOW TABLES FROM ${quoteId(conn.database)}`);
      nonTransactional = await nonTransactionalTables(db, conn.database);
    } catch {
      // the failure itself is the finding: the user cannot read the database
      canRead = false;
    }
    const logBin = vars.log_bin === 1 || vars.log_bin === '1' || vars.log_bin === 'ON';
    const problems: string[] = [];
    const warnings: string[] = [];
    if (!logBin) problems.push('enable the binary log: start the server with --log-bin (and a --server-id)');
    if (logBin && vars.binlog_format !== 'ROW') {
      problems.push(`set binlog_format=ROW (now ${vars.binlog_format}): SET GLOBAL binlog_format='ROW' `
        + 'and in the server config');
    }
    if (logBin && vars.binlog_row_image !== 'FULL') {
      problems.push(`set binlog_row_image=FULL (now ${vars.binlog_row_image})`);
    }
    if (!flags.replicationSlave) problems.push(`GRANT REPLICATION SLAVE ON *.* TO '${conn.user}'@'%'`);
    if (!flags.binlogMonitor) problems.push(`GRANT ${flavor.binlogMonitorGrant} ON *.* TO '${conn.user}'@'%'`);
    if (logBin && vars.binlog_row_metadata !== 'FULL') {
      problems.push(`set binlog_row_metadata=FULL (now ${vars.binlog_row_metadata ?? 'unsupported'}): `
        + 'without it rows written before an ALTER are decoded against the wrong columns. '
        + "SET GLOBAL binlog_row_metadata='FULL' (MariaDB 10.5+, MySQL 8.0+)");
    }
    warnings.push(...nonTransactionalWarnings(nonTransactional));
    const gtid = await readGtidInfo(db, flavor, logBin);
    return {
      flavor, serverId: Number(vars.server_id), serverUuid: await readUuid(db, flavor), canRead, tableCount,
      nonTransactional, logBin,
      binlogFormat: vars.binlog_format, binlogRowImage: vars.binlog_row_image,
      binlogRowMetadata: vars.binlog_row_metadata,
      replicationSlave: flags.replicationSlave, binlogMonitor: flags.binlogMonitor,
      binlogUsable: problems.length === 0, binlogProblems: problems, warnings,
      gtidMode: gtid.position !== null, gtid,
    };
  } finally {
    await db?.close();
  }
}

/** Base tables whose engine cannot roll back (everything but InnoDB and its kin). */
export async function nonTransactionalTables(db: Db, database: string): Promise<Capabilities['nonTransactional']> {
  // the schema as a constant in the subquery too: correlated by t.TABLE_SCHEMA, MariaDB opens
  // every table of every database for each row (1.2 s per call with 2,000 tables, 5 ms without)
  const rows = await db.rows<{ t: string; e: string | null; keys: number | string }>(
    `SELECT t.TABLE_NAME AS t, t.ENGINE AS e,
            (SELECT COUNT(*) FROM information_schema.STATISTICS s WHERE s.TABLE_SCHEMA = ?
               AND s.TABLE_NAME = t.TABLE_NAME AND s.NON_UNIQUE = 0) AS \`keys\`
       FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = ? AND t.TABLE_TYPE = 'BASE TABLE'`,
    [database, database]);
  return rows.filter((r) => !isTransactional(r.e))
    .map((r) => ({ table: r.t, engine: r.e ?? '?', keyless: Number(r.keys) === 0 }));
}

/** What a non-transactional table means for a pair, phrased as the fix. */
export function nonTransactionalWarnings(tables: Capabilities['nonTransactional']): string[] {
  return tables.map(({ table, engine, keyless }) => keyless
    ? `table ${table} (${engine}) has no transactions and no unique key: it is not part of the snapshot's `
      + 'consistent read and a kill -9 may apply its last changes twice, so its copy can drift; '
      + `convert it to InnoDB (ALTER TABLE ${table} ENGINE=InnoDB) or give it a primary key`
    : `table ${table} (${engine}) has no transactions: it is read outside the snapshot's consistent view `
      + 'and its changes are applied idempotently by key, so it converges once the stream has passed the copy; '
      + `ALTER TABLE ${table} ENGINE=InnoDB makes it exact at every checkpoint`);
}

const on = (v: unknown) => v === 1 || v === '1' || v === 'ON' || v === 'ON_PERMISSIVE';

async function optionalRow(db: Db, sql: string): Promise<Record<string, unknown>> {
  try {
    return (await db.rows<Record<string, unknown>>(sql))[0] ?? {};
  } catch {
    return {}; // variable unknown to this version
  }
}

/** GTID mode and what a failover to one of this server's replicas needs (README "Source failover"). */
async function readGtidInfo(db: Db, flavor: Flavor, logBin: boolean): Promise<GtidInfo> {
  if (flavor.name === 'mariadb') {
    const r = await optionalRow(db,
      'SELECT @@gtid_binlog_pos AS p, @@gtid_domain_id AS d, @@gtid_strict_mode AS s, @@log_slave_updates AS u');
    const domain = r.d === undefined ? null : Number(r.d);
    return {
      position: logBin ? String(r.p ?? '') : null, domainId: domain, strict: r.s === undefined ? null : on(r.s),
      logReplicaUpdates: r.u === undefined ? null : on(r.u),
      failoverNeeds: [
        'every replica that may be promoted: log_bin=ON and log_slave_updates=ON (its binlog must hold this ' +
          'server\'s transactions), binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL',
        `replicas replicate with MASTER_USE_GTID=slave_pos and keep gtid_domain_id=${domain ?? '?'} (after ` +
          `promotion its writes continue this domain)`,
        'gtid_strict_mode=ON on every server, so a transaction written on a replica stops its replication instead ' +
          'of diverging',
      ],
    };
  }
  const r = await optionalRow(db, 'SELECT @@gtid_mode AS m, @@gtid_executed AS p, @@enforce_gtid_consistency AS s');
  const u = await optionalRow(db, 'SELECT @@log_replica_updates AS u');
  const mode = on(r.m);
  return {
    position: mode && logBin ? String(r.p ?? '').replace(/\s/g, '') : null, domainId: null,
      strict: r.s === undefined ? null : on(r.s),
    logReplicaUpdates: u.u === undefined ? null : on(u.u),
    failoverNeeds: [
      ...(mode ? [] : ['SET GLOBAL gtid_mode=ON (with enforce_gtid_consistency=ON) on this server and its ' +
        'replicas: without GTIDs a pair cannot follow a failover']),
      'every replica that may be promoted: gtid_mode=ON, log_bin, log_replica_updates=ON, binlog_format=ROW, ' +
        'binlog_row_image=FULL, binlog_row_metadata=FULL',
    ],
  };
}
