/**
 * A TCP proxy to a local server port for tests of broken links: its open connections can be
 * frozen (a half-open link: sockets stay open, nothing is forwarded), the server-to-client
 * direction can be slowed to `bytesPerSec`, and the whole link can be partitioned (frozen,
 * and new connections are accepted but never reach the server) and healed again.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Transform } from 'node:stream';

export interface TcpProxy {
  port: number;
  /** Stop forwarding on every existing connection but keep the sockets open; new ones pass. */
  freeze(): void;
  /** The same for the connection opened last only (e.g. a binlog dump opened after its control connection). */
  freezeLast(): void;
  /** freeze(), and new connections hang (accepted, never forwarded) until heal(). */
  partition(): void;
  /** New connections pass again (frozen ones stay frozen). */
  heal(): void;
  close(): Promise<void>;
}

export async function tcpProxy(port: number, bytesPerSec = 0): Promise<TcpProxy> {
  const live: Array<[Socket, Socket]> = [];
  const all: Socket[] = [];
  let cut = false;
  const frozen = new WeakSet<Socket>();
  const server: Server = createServer((client) => {
    all.push(client);
    client.on('error', () => client.destroy());
    if (cut) return client.pause();
    const upstream = connect(port, '127.0.0.1');
    client.pipe(upstream);
    if (bytesPerSec > 0) upstream.pipe(new Transform({
      transform(chunk: Buffer, _enc, done) {
        setTimeout(() => done(null, chunk), (chunk.length / bytesPerSec) * 1000);
      },
    })).pipe(client);
    else upstream.pipe(client);
    // a frozen link carries nothing, not even the other side's close
    const drop = () => { if (!frozen.has(client)) { client.destroy(); upstream.destroy(); } };
    client.on('error', drop);
    upstream.on('error', drop);
    upstream.on('close', drop);
    live.push([client, upstream]);
    all.push(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const stop = ([a, b]: [Socket, Socket]) => { frozen.add(a); a.unpipe(b); b.unpipe(a); a.pause(); b.pause(); };
  const freeze = () => { for (const pair of live.splice(0)) stop(pair); };
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    freeze,
    freezeLast: () => { const pair = live.pop(); if (pair) stop(pair); },
    partition: () => { cut = true; freeze(); },
    heal: () => { cut = false; },
    close: async () => { for (const sock of all) sock.destroy(); await new Promise((r) => server.close(r)); },
  };
}
