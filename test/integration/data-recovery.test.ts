import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type TestContext } from '../helpers/context.js';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { copyTableDefs, pairContextFor, rows, startPair, waitTablesEqual } from '../helpers/data-fixtures.js';
import { runBinlogSync } from '../../src/core/data/binlog-sync.js';

/** A TCP proxy to the source whose open connections can be frozen (half-open link). */
async function freezableProxy(port: number): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  const live: Array<[Socket, Socket]> = [];
  const all: Socket[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); };
    client.on('error', drop);
    upstream.on('error', drop);
    live.push([client, upstream]);
    all.push(client, upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    // stop forwarding on every existing connection but keep the sockets open; new ones pass
    freeze: () => { for (const [a, b] of live.splice(0)) { a.unpipe(b); b.unpipe(a); a.pause(); b.pause(); } },
    close: async () => { for (const sock of all) sock.destroy(); await new Promise((r) => server.close(r)); },
  };
}

describe('recovery from lost connections', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createContext('drecov');
    await t.source.query('CREATE TABLE r (id INT PRIMARY KEY, v INT)');
    await copyTableDefs(t, ['r']);
  });
  afterEach(async () => { await t.close(); });

  async function waitFor(cond: () => boolean, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  it('reconnects the binlog stream after the source kills it and resumes from the checkpoint', async () => {
    const run = startPair(t);
    try {
      await t.source.query('INSERT INTO r VALUES (1, 1)');
      await waitTablesEqual(t, ['r']);
      const dumps = await rows<{ id: number }>(t.source, "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
      expect(dumps.length).toBeGreaterThan(0);
      for (const d of dumps) await t.source.query(`KILL ${Number(d.id)}`);
      await t.source.query('INSERT INTO r VALUES (2, 2), (3, 3)');
      await t.source.query('UPDATE r SET v = v * 10');
      await waitTablesEqual(t, ['r']);
      await waitFor(() => run.status.current().lastError !== null);
      expect(run.status.current().lastError?.code).toBe('BINLOG_STREAM_LOST');
      await waitFor(() => run.status.current().state === 'streaming');
      expect(run.status.current().state).toBe('streaming');
    } finally {
      await run.stop();
    }
  });

  it('rolls back and reconnects when the target connection is lost, without losing or doubling rows', async () => {
    const run = startPair(t);
    try {
      await t.source.query('INSERT INTO r VALUES (1, 1)');
      await waitTablesEqual(t, ['r']);
      const [[me]] = (await t.target.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
      const conns = await rows<{ id: number }>(t.target, 'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> ?', [t.targetDb, me.id]);
      for (const c of conns) await t.target.query(`KILL ${Number(c.id)}`);
      for (let i = 2; i < 40; i++) await t.source.query('INSERT INTO r VALUES (?, ?)', [i, i]);
      await waitTablesEqual(t, ['r']);
    } finally {
      await run.stop();
    }
  });

  it('notices a stalled binlog link (no events while the source moves on) and restarts the stream', async () => {
    const proxy = await freezableProxy(t.ports.source);
    const { ctx, abort } = pairContextFor(t);
    const source = { ...ctx.source, port: proxy.port };
    const running = runBinlogSync({
      pairName: 'p', source, target: ctx.target, inScope: () => true, once: false, resnapshot: false,
      replayDdl: false, syncObjects: false, schema: { initial: async () => undefined, objects: async () => undefined },
      maxRetries: 3, retryDelay: 200, status: ctx.status, logger: ctx.logger,
      signal: abort.signal, watchdogMs: 1500,
    });
    try {
      await t.source.query('INSERT INTO r VALUES (1, 1)');
      await waitTablesEqual(t, ['r']);
      proxy.freeze();
      await t.source.query('INSERT INTO r VALUES (2, 2), (3, 3)');
      await waitTablesEqual(t, ['r'], 20_000);
      expect(ctx.status.current().lastError?.code).toBe('BINLOG_STREAM_STALLED');
    } finally {
      abort.abort();
      await running;
      await proxy.close();
    }
  });
});
