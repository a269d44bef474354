/**
 * Throwaway MariaDB servers for tests and benchmarks. The launcher lives in
 * src/demo/mariadb-launcher.ts (the demo ships it in dist); this adds the tests'
 * mysql2 root connection on top.
 */
import mysql from 'mysql2/promise';
import { startServer as launch, type LocalServer, type ServerOptions } from '../../src/demo/mariadb-launcher.js';

export { findBinary, freePort, stopAll, type ServerOptions } from '../../src/demo/mariadb-launcher.js';

export interface TestServer extends LocalServer {
  /** mysql2 connection as root (no database selected unless given). */
  connect(database?: string): Promise<mysql.Connection>;
}

export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const server = await launch(options);
  const port = server.port;
  return Object.assign(server, {
    connect(database?: string) {
      return mysql.createConnection({
        host: '127.0.0.1', port, user: 'root', database, multipleStatements: true, charset: 'utf8mb4_general_ci',
        supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, timezone: 'Z', jsonStrings: true,
      });
    },
  });
}
