/**
 * The shared binlog reader (src/core/data/binlog-hub.ts) against a simulated binlog: every
 * stream must receive exactly what a reader of its own would have given it (the oracle: the
 * log after its start, its own database's rows), however the readers, the hub, pauses and
 * late starts interleave. The database side (a real dump, real positions) is covered by
 * test/integration/shared-reader.test.ts; this drives the switching logic through many
 * random interleavings, which a live server cannot replay on demand.
 */
import { describe, it, expect } from 'vitest';
import { openStreamReader, sharedReaders, type OpenReader } from '../../src/core/data/binlog-hub.js';
import type { BinlogClient, BinlogClientOptions } from '../../src/core/data/binlog-reader.js';
import type { BinlogPosition, ChangeEvent } from '../../src/core/data/events.js';
import type { ConnectionConfig } from '../../src/core/config/schema.js';
import { SyncError } from '../../src/core/errors.js';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

const base = { timestamp: 0, receivedAt: 0 };

interface Entry { ev: ChangeEvent; end: BinlogPosition; schema?: string }

/** A binlog: entries in order, each with the position it ends at. */
class FakeServer {
  readonly log: Entry[] = [];
  readonly readers = new Set<FakeReader>();
  private file = 1;
  private pos = 4;

  constructor() { this.head(); }

  private name(): string { return `bin.${String(this.file).padStart(6, '0')}`; }

  private add(ev: ChangeEvent, size: number, schema?: string): void {
    this.pos += size;
    const end = { file: this.name(), pos: this.pos };
    if ('position' in ev) (ev as { position: BinlogPosition }).position = end;
    this.log.push({ ev, end, schema });
  }

  private head(): void {
    this.add({ type: 'position', position: { file: '', pos: 0 }, size: 252, ...base }, 252);
  }

  txn(schema: string, rows: number, rowBytes = 60): void {
    this.add({ type: 'begin', size: 40, ...base }, 40, schema);
    for (let i = 0; i < rows; i++) {
      this.add({ type: 'rows', op: 'insert', schema, table: 't', fkChecks: true, rows: [{ id: this.log.length }],
        size: rowBytes, ...base } as ChangeEvent, rowBytes, schema);
    }
    this.add({ type: 'commit', position: { file: '', pos: 0 }, size: 31, ...base }, 31);
  }

  ddl(schema: string): void {
    this.add({ type: 'query', schema, sql: Buffer.from('CREATE TABLE x (id INT)'), context: {} as never, inTxn: false,
      position: { file: '', pos: 0 }, size: 80, ...base } as ChangeEvent, 80);
  }

  rotate(): void {
    this.file++;
    this.pos = 4;
    this.log.push({ ev: { type: 'position', position: { file: this.name(), pos: 4 }, size: 0, ...base },
      end: { file: this.name(), pos: 4 } });
    this.head();
  }

  /** Index of the first entry after boundary `p` (the start of a dump from `p`). */
  after(p: BinlogPosition): number {
    if (p.file === 'bin.000001' && p.pos === 4) return 0;
    const i = this.log.findIndex((e) => e.end.file === p.file && e.end.pos === p.pos);
    if (i < 0) throw new Error(`no boundary at ${p.file}:${p.pos}`);
    // the rotate entry ends where the next file's head starts
    return i + 1;
  }

  boundaries(): BinlogPosition[] {
    return this.log.filter((e) => e.ev.type !== 'begin' && e.ev.type !== 'rows').map((e) => e.end);
  }

  open: OpenReader = (o) => new FakeReader(this, o);

  /** `rounds` times: every reader that can deliver delivers one event; then `after` (a consumer drains). */
  pump(rounds: number, after: () => void = () => undefined): void {
    for (let k = 0; k < rounds; k++) {
      for (const x of [...this.readers]) if (x.ready()) x.step();
      after();
    }
  }
}

/** A dump: what zongji + the translator would emit from `start`, one event per step. */
class FakeReader implements BinlogClient {
  private next: number;
  private readonly pre: ChangeEvent[] = [];
  paused = false;
  stopped = false;
  private readonly schemas: Set<string>;
  private readonly pending = new Set<string>();
  private txnDecoded = false;
  private last: BinlogPosition | null = null;

  constructor(private readonly server: FakeServer, readonly o: BinlogClientOptions) {
    this.next = server.after(o.start);
    this.schemas = new Set(o.schemas ?? [o.schema]);
    // the server's fake rotate to the start file
    this.pre.push({ type: 'position', position: { ...o.start }, size: 0, ...base });
    // a GTID start sends its first file's head, from before the start point
    if (o.gtids !== undefined) this.pre.push({ type: 'position', position: { file: o.start.file, pos: 256 }, size: 0, ...base });
    server.readers.add(this);
  }

  received(): BinlogPosition | null { return this.last; }
  stop(): void { this.stopped = true; this.server.readers.delete(this); }
  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; }
  include(schema: string): void { if (!this.schemas.has(schema)) this.pending.add(schema); }

  /** The link breaks (the stream supervisor restarts whatever it fed). */
  fail(): void {
    this.stop();
    this.o.onError(new SyncError('BINLOG_STREAM_LOST', 'simulated', { retryable: true }));
  }

  ready(): boolean {
    return !this.stopped && !this.paused && (this.pre.length > 0 || this.next < this.server.log.length);
  }

  step(): void {
    const pre = this.pre.shift();
    if (pre) { this.o.onEvent(pre); return; }
    const e = this.server.log[this.next++] as Entry;
    if (e.ev.type === 'begin') {
      // new filters count from the next table map on, as zongji's
      for (const s of this.pending) this.schemas.add(s);
      this.pending.clear();
      this.txnDecoded = true;
    }
    if ('position' in e.ev) this.last = e.ev.position;
    if (e.ev.type === 'rows' && !(this.schemas.has(e.ev.schema) && this.txnDecoded)) return;
    this.o.onBytes?.(e.ev.size);
    this.o.onEvent(e.ev);
  }
}

interface Run { stream: string; schema: string; start: BinlogPosition; got: ChangeEvent[] }

/** A consumer with a bounded backlog, as the apply loop: pauses its client above it. */
class Consumer {
  backlog = 0;
  paused = false;
  client: BinlogClient | null = null;
  run: Run;
  failed = false;
  errors: SyncError[] = [];
  /** Backlog above which the consumer pauses its client. */
  bound = 12;

  constructor(readonly name: string, readonly schema: string, server: FakeServer, start: BinlogPosition, port: number,
    gtid: boolean, extra: Partial<ConnectionConfig> = {}) {
    this.run = { stream: name, schema, start, got: [] };
    const connection = { host: 'sim', port, user: 'u', ...extra } as ConnectionConfig;
    this.client = openStreamReader({
      connection, serverId: 1, start, schema, gtids: gtid ? '0-1-1' : undefined,
      onEvent: (ev) => {
        this.run.got.push(ev);
        this.backlog++;
        if (!this.paused && this.backlog > this.bound) { this.paused = true; this.client?.pause(); }
      },
      onError: (err) => { this.failed = true; this.errors.push(err); },
    }, true, server.open);
  }

  drain(n: number): void {
    this.backlog = Math.max(0, this.backlog - n);
    if (this.paused && this.backlog < 3) { this.paused = false; this.client?.resume(); }
  }

  stop(): void { this.client?.stop(); this.client = null; }
}

/** What a reader of its own gives a stream from `start`: the log after it, its own rows. */
function expected(server: FakeServer, run: Run): ChangeEvent[] {
  return server.log.slice(server.after(run.start)).map((e) => e.ev)
    .filter((ev) => ev.type !== 'position' && !(ev.type === 'rows' && ev.schema !== run.schema));
}

const dataOnly = (evs: ChangeEvent[]) => evs.filter((ev) => ev.type !== 'position');

/** One line per event, for readable diffs. */
function show(ev: ChangeEvent): string {
  if (ev.type === 'rows') return `rows ${ev.schema} ${JSON.stringify(ev.rows)}`;
  return 'position' in ev ? `${ev.type} ${ev.position.file}:${ev.position.pos}` : ev.type;
}

function simulate(seed: number, port: number): { runs: Run[]; server: FakeServer; consumers: Consumer[] } {
  const rnd = prng(seed);
  const server = new FakeServer();
  const schemas = ['a', 'b', 'c', 'd'];
  const runs: Run[] = [];
  const consumers: Consumer[] = [];
  const startAt = (): BinlogPosition => {
    const b = server.boundaries();
    return { ...(b[Math.floor(rnd() * b.length)] as BinlogPosition) };
  };
  for (let i = 0; i < 3; i++) server.txn(schemas[i % 3] as string, 1 + Math.floor(rnd() * 3));
  for (let i = 0; i < 3; i++) {
    const c = new Consumer(`s${i}`, schemas[i] as string, server, startAt(), port, rnd() < 0.3);
    consumers.push(c);
    runs.push(c.run);
  }
  // a loop that failed: the supervisor starts it again from its checkpoint (some boundary)
  const restartFailed = (): boolean => {
    const i = consumers.findIndex((c) => c.failed);
    if (i < 0) return false;
    const old = consumers[i] as Consumer;
    old.stop();
    const c = new Consumer(`${old.name}!`, old.schema, server, startAt(), port, rnd() < 0.3);
    consumers[i] = c;
    runs.push(c.run);
    return true;
  };
  for (let step = 0; step < 4000; step++) {
    const r = rnd();
    if (restartFailed()) continue;
    if (step === 2000) {
      // a pair added while the others stream: its database joins the hub's decoding mid-stream
      const c = new Consumer('s3', 'd', server, startAt(), port, false);
      consumers.push(c);
      runs.push(c.run);
    }
    if (r < 0.003) {
      const hubs = [...server.readers].filter((x) => x.o.serverId !== 1);
      hubs[Math.floor(rnd() * hubs.length)]?.fail();
      continue;
    }
    if (r < 0.08) server.txn(schemas[Math.floor(rnd() * 4)] as string, 1 + Math.floor(rnd() * 4));
    else if (r < 0.09) server.ddl(schemas[Math.floor(rnd() * 3)] as string);
    else if (r < 0.095) server.rotate();
    else if (r < 0.1) {
      // a stream restarts (its run ended: the loop failed or the pair was restarted) from a boundary
      const i = Math.floor(rnd() * consumers.length);
      (consumers[i] as Consumer).stop();
      const c = new Consumer(`s${i}'`, (consumers[i] as Consumer).schema, server, startAt(), port, rnd() < 0.3);
      consumers[i] = c;
      runs.push(c.run);
    } else if (r < 0.4) {
      const c = consumers[Math.floor(rnd() * consumers.length)] as Consumer;
      c.drain(1 + Math.floor(rnd() * 6));
    } else {
      const ready = [...server.readers].filter((x) => x.ready());
      const x = ready[Math.floor(rnd() * ready.length)];
      for (let k = Math.floor(rnd() * 5); x && k >= 0 && x.ready(); k--) x.step();
    }
  }
  // quiesce: everyone drains, one last transaction per database, every reader runs dry
  while (restartFailed());
  for (const c of consumers) c.drain(1e9);
  for (const s of schemas) server.txn(s, 1);
  for (let guard = 0; guard < 1e6; guard++) {
    const ready = [...server.readers].filter((x) => x.ready());
    if (ready.length === 0) break;
    (ready[Math.floor(rnd() * ready.length)] as FakeReader).step();
    for (const c of consumers) c.drain(1e9);
  }
  return { runs, server, consumers };
}

describe('shared binlog reader (simulated binlog)', () => {
  it('gives every stream exactly its own reader\'s events over many random interleavings', () => {
    let joined = 0;
    const seeds = Number(process.env.HUB_SEEDS ?? 100);
    for (let seed = 1; seed <= seeds; seed++) {
      const port = 20_000 + seed;
      const { runs, server, consumers } = simulate(seed, port);
      for (const run of runs) {
        const want = expected(server, run).length;
        const got = dataOnly(run.got);
        // a stopped run saw a prefix of its stream; a live one all of it
        const live = consumers.some((c) => c.run === run);
        const exp = expected(server, run).slice(0, live ? want : got.length);
        expect(got.map(show), `seed ${seed} ${run.stream} from ${run.start.file}:${run.start.pos}`).toEqual(exp.map(show));
      }
      // in the end one dump feeds the four streams
      const shared = sharedReaders().find((g) => g.source === `sim:${port}:u`);
      expect(shared, `seed ${seed}`).toEqual({ source: `sim:${port}:u`, streams: 4, onHub: 4, hubRunning: true });
      expect(server.readers.size, `seed ${seed}: readers left`).toBe(1);
      joined++;
      for (const c of consumers) c.stop();
      expect(server.readers.size, `seed ${seed}: readers after stop`).toBe(0);
      expect(sharedReaders().find((g) => g.source === `sim:${port}:u`)).toBeUndefined();
    }
    expect(joined).toBe(seeds);
  });

  it('a reader alone on its source stays its own, and an unshared one never registers', () => {
    const server = new FakeServer();
    server.txn('a', 2);
    const c = new Consumer('alone', 'a', server, { file: 'bin.000001', pos: 4 }, 29_999, false);
    for (const x of [...server.readers]) while (x.ready()) x.step();
    expect(server.readers.size).toBe(1);
    expect(sharedReaders().find((g) => g.source === 'sim:29999:u')).toMatchObject({ streams: 1, onHub: 0, hubRunning: false });
    expect(dataOnly(c.run.got)).toEqual(expected(server, c.run));
    c.stop();
    expect(server.readers.size).toBe(0);
  });

  it('a stream leaving the hub inside a huge transaction fails its run (retryable) and the other stream goes on', () => {
    const server = new FakeServer();
    server.txn('a', 1);
    const start = { file: 'bin.000001', pos: 4 };
    const a = new Consumer('a', 'a', server, start, 29_998, false);
    const b = new Consumer('b', 'b', server, start, 29_998, false);
    server.pump(1000);
    server.txn('a', 1);
    server.txn('b', 1);
    server.pump(1000);
    expect(sharedReaders().find((g) => g.source === 'sim:29998:u')).toMatchObject({ onHub: 2, hubRunning: true });
    b.bound = 0; // b's target stops taking: it pauses on its next event, inside the transaction
    a.drain(1e9);
    server.txn('b', 3, 20 << 20);
    server.txn('a', 2);
    server.pump(1000, () => a.drain(1e9));
    expect(b.errors.map((e) => [e.code, e.retryable])).toEqual([['SHARED_READER_OVERFLOW', true]]);
    expect(a.errors).toEqual([]);
    expect(dataOnly(a.run.got).map(show)).toEqual(expected(server, a.run).map(show));
    // b saw its stream up to the overflow, nothing after it
    const gotB = dataOnly(b.run.got).map(show);
    expect(gotB).toEqual(expected(server, b.run).map(show).slice(0, gotB.length));
    expect(gotB.at(-1)).toMatch(/^rows b/);
    b.stop();
    a.stop();
    expect(server.readers.size).toBe(0);
  });

  it('shares only between streams that would open the same connection (credentials, TLS)', () => {
    const server = new FakeServer();
    server.txn('a', 1);
    const start = { file: 'bin.000001', pos: 4 };
    const plain = new Consumer('plain', 'a', server, start, 29_997, false);
    const tls = new Consumer('tls', 'b', server, start, 29_997, false, { ssl: { ca: '/ca.pem' } } as never);
    server.pump(100);
    server.txn('a', 1);
    server.txn('b', 1);
    server.pump(100);
    expect(server.readers.size).toBe(2);
    expect(sharedReaders().filter((g) => g.source === 'sim:29997:u').map((g) => [g.streams, g.onHub]))
      .toEqual([[1, 0], [1, 0]]);
    plain.stop();
    tls.stop();
  });

  it('after an overflow, the restarted stream reads that transaction alone and joins after it (no restart loop)', () => {
    // as fuzzer seed 3102 found: a stream starts the hub alone at its checkpoint, overflows on a
    // huge transaction, restarts at the same checkpoint, starts a new hub there: forever
    const server = new FakeServer();
    server.txn('b', 1);
    const start = { file: 'bin.000001', pos: 4 };
    const idle = new Consumer('other', 'a', server, start, 29_996, false);
    idle.bound = -1; // its target does not take anything: its own reader stays paused
    server.txn('b', 5, 20 << 20);
    server.txn('b', 1);
    /** A run of b whose target stops right after the huge transaction began (it pauses, drains nothing). */
    const stalledRun = (name: string): Consumer => {
      const c = new Consumer(name, 'b', server, start, 29_996, false);
      for (let k = 0; k < 200 && !c.run.got.some((ev) => ev.size > 1 << 20); k++) {
        for (const x of [...server.readers]) if (x.ready()) { x.step(); break; }
        c.drain(1e9);
      }
      c.bound = 0;
      c.client?.pause();
      c.paused = true;
      server.pump(200);
      return c;
    };
    const first = stalledRun('b');
    expect(sharedReaders().find((g) => g.source === 'sim:29996:u')).toMatchObject({ streams: 2 });
    expect(first.errors.map((e) => e.code)).toEqual(['SHARED_READER_OVERFLOW']);
    first.stop();
    // the supervisor runs it again from the same checkpoint, its target as slow
    const again = stalledRun('b again');
    expect(again.errors).toEqual([]);
    again.bound = 1e9;
    again.drain(1e9);
    server.pump(500, () => again.drain(1e9));
    expect(dataOnly(again.run.got).map(show)).toEqual(expected(server, again.run).map(show));
    idle.stop();
    again.stop();
    expect(server.readers.size).toBe(0);
  });
});
