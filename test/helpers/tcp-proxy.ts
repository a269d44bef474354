import { createServer, type Server, type Socket, connect } from 'node:net';
import { Transform } from 'node:stream';

/**
 * A TCP proxy to the source whose open connections can be frozen (half-open link), and
 * whose server-to-client direction can be slowed to `bytesPerSec` (a slow link).
 */
export interface FreezableProxy {
  port: number;
  /** Stop forwarding on every open connection (kept open, as a half-open link); new ones pass. */
  freeze(): void;
  /** The same for the connection opened last only. */
  freezeLast(): void;
  close(): Promise<void>;
}

export async function freezableProxy(port: number, bytesPerSec = 0): Promise<FreezableProxy> {
  const live: Array<[Socket, Socket]> = [];
  const all: Socket[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.pipe(upstream);
    if (bytesPerSec > 0) upstream.pipe(new Transform({
      transform(chunk: Buffer, _enc, done) { setTimeout(() => done(null, chunk), (chunk.length / bytesPerSec) * 1000); },
    })).pipe(client);
    else upstream.pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); };
    client.on('error', drop);
    upstream.on('error', drop);
    live.push([client, upstream]);
    all.push(client, upstream);
  });
  const stop = ([a, b]: [Socket, Socket]) => { a.unpipe(b); b.unpipe(a); a.pause(); b.pause(); };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    freeze: () => { for (const pair of live.splice(0)) stop(pair); },
    freezeLast: () => { const pair = live.pop(); if (pair) stop(pair); },
    close: async () => { for (const sock of all) sock.destroy(); await new Promise((r) => server.close(r)); },
  };
}
