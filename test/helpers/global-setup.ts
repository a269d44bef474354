/**
 * Starts one binlog source and one target server for the whole test run and stops them
 * at the end, also when tests fail. Tests isolate themselves with their own databases;
 * tests that need to stop or break a server start their own with startServer().
 */
import type { TestProject } from 'vitest/node';
import { startServer, type TestServer } from './mariadb-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sourcePort: number;
    targetPort: number;
  }
}

let servers: TestServer[] = [];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [source, target] = await Promise.all([
    startServer({ binlog: true, serverId: 1, label: 'source' }),
    startServer({ binlog: false, serverId: 2, label: 'target' }),
  ]);
  servers = [source, target];
  project.provide('sourcePort', source.port);
  project.provide('targetPort', target.port);
  return async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
}
