/**
 * The three throwaway servers of a fuzz run: a source (binlog ROW, GTID, server_id 1,
 * log_slave_updates, small binlog files so rotations happen often), a native replica of it
 * (server_id 2, GTID slave_pos, single-threaded: the oracle) and the db-sync target (server_id 3).
 */
import { startServer, type TestServer } from '../helpers/mariadb-server.js';
import { rows } from './features/common.js';
import { FUZZ_DB } from './workload.js';

export interface Cluster {
  source: TestServer;
  replica: TestServer;
  target: TestServer;
  /** Stop all three; keep the datadirs (printed) when asked. */
  stop(keep: boolean): Promise<string[]>;
}

/** dbs: the databases made on the source and the target (each pair's own; FUZZ_DB for one pair). */
export async function startCluster(dbs: string[] = [FUZZ_DB]): Promise<Cluster> {
  const [source, replica, target] = await Promise.all([
    startServer({
      binlog: true, serverId: 1, label: 'fuzz-source', extraArgs: ['--log-slave-updates', '--max-binlog-size=1M'],
    }),
    startServer({ serverId: 2, label: 'fuzz-replica', extraArgs: ['--slave-parallel-threads=0'] }),
    startServer({ serverId: 3, label: 'fuzz-target' }),
  ]);
  const replicaConn = await replica.connect();
  try {
    await replicaConn.query(`CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${source.port},
      MASTER_USER = 'root', MASTER_PASSWORD = '', MASTER_USE_GTID = slave_pos`);
    await replicaConn.query('START SLAVE');
  } finally {
    await replicaConn.end();
  }
  const src = await source.connect();
  const tgt = await target.connect();
  for (const db of dbs) {
    await src.query(`CREATE DATABASE ${db}`);
    await tgt.query(`CREATE DATABASE ${db}`);
  }
  await Promise.all([src.end(), tgt.end()]);
  return {
    source, replica, target,
    async stop(keep) {
      await Promise.all([source.stop(keep), replica.stop(keep), target.stop(keep)]);
      return keep ? [source.datadir, replica.datadir, target.datadir] : [];
    },
  };
}

/** Wait until the replica has applied everything the source logged; its own error if it broke. */
export async function waitReplica(c: Cluster, timeoutSec: number): Promise<string | null> {
  const src = await c.source.connect();
  const rep = await c.replica.connect();
  try {
    const [pos] = await rows<{ g: string }>(src, 'SELECT @@gtid_binlog_pos AS g');
    const [res] = await rows<{ r: number }>(rep, 'SELECT MASTER_GTID_WAIT(?, ?) AS r', [pos?.g, timeoutSec]);
    const [st] = await rows<Record<string, string>>(rep, 'SHOW SLAVE STATUS');
    if (st?.Last_SQL_Error || st?.Last_IO_Error) return `replica error: ${st.Last_SQL_Error || st.Last_IO_Error}`;
    if (Number(res?.r) !== 0) return `replica did not reach ${pos?.g} within ${timeoutSec} s`;
    return null;
  } finally {
    await Promise.all([src.end(), rep.end()]);
  }
}
