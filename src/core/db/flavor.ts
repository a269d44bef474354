/**
 * MySQL vs MariaDB differences behind one interface. Detected from VERSION().
 */
export type FlavorName = 'mariadb' | 'mysql';

export interface Flavor {
  name: FlavorName;
  version: string;
  major: number;
  minor: number;
  /** SQL returning the current GTID position (MariaDB gtid_binlog_pos, MySQL gtid_executed). */
  gtidPositionSql: string;
  /** Grant that lets a user read binlog positions (MariaDB >= 10.5 BINLOG MONITOR, MySQL REPLICATION CLIENT). */
  binlogMonitorGrant: string;
  /** Event clause that keeps a replicated event from running on the target. */
  eventDisabledOnTarget: string;
}

export function parseFlavor(versionString: string): Flavor {
  const isMaria = /mariadb/i.test(versionString);
  const m = /^(\d+)\.(\d+)/.exec(versionString);
  const major = m ? Number(m[1]) : 0;
  const minor = m ? Number(m[2]) : 0;
  if (isMaria) {
    return {
      name: 'mariadb', version: versionString, major, minor,
      gtidPositionSql: 'SELECT @@GLOBAL.gtid_binlog_pos AS gtid',
      binlogMonitorGrant: major > 10 || (major === 10 && minor >= 5) ? 'BINLOG MONITOR' : 'REPLICATION CLIENT',
      eventDisabledOnTarget: 'DISABLE ON SLAVE',
    };
  }
  return {
    name: 'mysql', version: versionString, major, minor,
    gtidPositionSql: 'SELECT @@GLOBAL.gtid_executed AS gtid',
    binlogMonitorGrant: 'REPLICATION CLIENT',
    eventDisabledOnTarget: major > 8 || (major === 8 && minor >= 4) ? 'DISABLE ON REPLICA' : 'DISABLE ON SLAVE',
  };
}
